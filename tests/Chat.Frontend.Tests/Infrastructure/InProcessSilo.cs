extern alias silo;

using Chat.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using SiloHosting = silo::Chat.Silo.Hosting.SiloHostingExtensions;

namespace Chat.Frontend.Tests.Infrastructure;

/// <summary>
/// A real silo host (the silo's own composition: Orleans with ADO.NET clustering and storage on the
/// test database, the event streams, the chat domain) in this process, on free loopback ports.
/// Frontends reach it through its gateway, as in production; its HTTP side is a test server.
/// </summary>
public sealed class InProcessSilo : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private InProcessSilo(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<InProcessSilo> StartAsync(string name, IReadOnlyDictionary<string, string?> configuration, LogCollector? logs = null)
    {
        var ports = FreePorts.Take(2);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Chat:Silo:Name"] = name,
            ["Chat:Silo:SiloPort"] = ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Chat:Silo:GatewayPort"] = ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.WebHost.UseTestServer();
        SiloHosting.AddChatSiloHost(builder);
        var app = builder.Build();
        SiloHosting.MapChatSiloEndpoints(app);
        await app.StartAsync().WaitAsync(ChatSystem.Timeout);
        return new InProcessSilo(app, name);
    }

    /// <summary>Stops the silo gracefully (it leaves the cluster and hands its grains over).</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _app.StopAsync().WaitAsync(ChatSystem.Timeout);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}
