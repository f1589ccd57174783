// A silo process for the runtime's multi-process tests: the test grains, PostgreSQL storage,
// clustering. Configuration comes from environment variables (Chat__Database__ConnectionString,
// Chat__Silo__ClusterId, Chat__Silo__Name). It exits when the process named by --parent-pid
// is gone, so an aborted test run leaves nothing behind.
using Chat.Runtime.Hosting;
using Chat.Runtime.SiloProcess;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddChatSilo(silo => silo.UseClustering().AddGrains(typeof(AppendGrain).Assembly).AddPostgresGrainStorage());
using var host = builder.Build();
await host.StartAsync();
Console.WriteLine($"READY {host.Services.GetRequiredService<SiloState>().Address}");

var parent = ParentProcess.FromArgs(args);
var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
while (!lifetime.ApplicationStopping.IsCancellationRequested && (parent is null || ParentProcess.IsAlive(parent.Value)))
{
    await Task.Delay(500);
}

await host.StopAsync();
