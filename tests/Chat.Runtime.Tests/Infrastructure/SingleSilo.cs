using Chat.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Runtime.Tests.Infrastructure;

/// <summary>One silo in this process, with the test grains and in-memory storage unless told otherwise.</summary>
public sealed class SingleSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private SingleSilo(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IGrainFactory GrainFactory => Services.GetRequiredService<IGrainFactory>();

    public Probe Probe => Services.GetRequiredService<Probe>();

    public static async Task<SingleSilo> StartAsync(
        Action<IServiceCollection>? services = null,
        Dictionary<string, string?>? configuration = null,
        Action<SiloBuilder>? silo = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(configuration ?? []);
        builder.Services.AddSingleton<Probe>();
        builder.Services.AddChatSilo(s =>
        {
            s.AddGrains(typeof(SingleSilo).Assembly);
            if (silo is null)
            {
                s.AddMemoryGrainStorage();
            }
            else
            {
                silo(s);
            }
        });
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return new SingleSilo(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        _host.Dispose();
    }
}
