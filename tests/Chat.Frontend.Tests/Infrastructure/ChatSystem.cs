using System.Net;
using Chat.Grains.Hosting;
using Chat.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chat.Frontend.Tests.Infrastructure;

/// <summary>
/// A whole system in this process: real silo hosts (Orleans with the chat domain, ADO.NET clustering
/// on PostgreSQL, talking over loopback sockets) and frontends — the real Program on real Kestrel
/// servers on free loopback ports, each an Orleans cluster client of its own.
/// </summary>
public sealed class ChatSystem : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _connectionString;
    private readonly Dictionary<string, string?> _configuration;
    private readonly List<FrontendHost> _frontends = [];
    private int _nextFrontend;

    private readonly List<InProcessSilo> _silos = [];
    private int _nextSilo;

    private ChatSystem(string connectionString, Dictionary<string, string?> configuration)
    {
        _connectionString = connectionString;
        _configuration = configuration;
        ClusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
    }

    /// <summary>The Orleans cluster id of this system's silos and frontends.</summary>
    public string ClusterId { get; }

    /// <summary>The running silos.</summary>
    public IReadOnlyList<InProcessSilo> Silos => _silos;

    public IReadOnlyList<FrontendHost> Frontends => _frontends;

    /// <summary>Defaults that keep tests fast: cheap password hashes, a high send limit, short presence leases.</summary>
    public static Dictionary<string, string?> DefaultConfiguration() => new()
    {
        ["Chat:Auth:PasswordHashIterations"] = "1000",
        ["Chat:Limits:MessagesPerMinute"] = "100000",
        ["Chat:Presence:LeaseDuration"] = "00:00:04",
        ["Chat:Presence:SweepInterval"] = "00:00:01",
        ["Chat:Frontend:PresenceRenewInterval"] = "00:00:01",
        ["Chat:Frontend:ResumeWindow"] = "00:00:01",
        ["Chat:Frontend:ResumeSettleDelay"] = "00:00:00.050",
        ["Chat:Frontend:SubscriptionCheckInterval"] = "00:00:01",
    };

    public static async Task<ChatSystem> StartAsync(string connectionString, int frontends = 2, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var configuration = DefaultConfiguration();
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var system = new ChatSystem(connectionString, configuration);
        try
        {
            await system.StartSiloAsync();
            for (var i = 0; i < frontends; i++)
            {
                await system.StartFrontendAsync();
            }
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }

        return system;
    }

    /// <summary>Starts one more silo and waits until it is active.</summary>
    public async Task<InProcessSilo> StartSiloAsync()
    {
        var silo = await InProcessSilo.StartAsync($"silo-{Interlocked.Increment(ref _nextSilo)}", SharedConfiguration());
        _silos.Add(silo);
        return silo;
    }

    /// <summary>Stops a silo gracefully.</summary>
    public async Task StopSiloAsync(InProcessSilo silo)
    {
        _silos.Remove(silo);
        await silo.DisposeAsync();
    }

    private Dictionary<string, string?> SharedConfiguration() => new(_configuration)
    {
        ["Chat:Database:ConnectionString"] = _connectionString,
        ["Chat:Silo:ClusterId"] = ClusterId,
    };

    /// <summary>Starts one more frontend (a new process in all but name) and waits until it is ready.</summary>
    public async Task<FrontendHost> StartFrontendAsync(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var configuration = SharedConfiguration();
        configuration["Chat:Frontend:Name"] = $"frontend-{Interlocked.Increment(ref _nextFrontend)}";
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var frontend = await FrontendHost.StartAsync(configuration);
        _frontends.Add(frontend);
        return frontend;
    }

    /// <summary>Stops a frontend gracefully (its clients are told to reconnect).</summary>
    public async Task StopFrontendAsync(FrontendHost frontend)
    {
        _frontends.Remove(frontend);
        await frontend.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var frontend in _frontends.ToList())
        {
            try
            {
                await frontend.DisposeAsync();
            }
            catch (Exception)
            {
                // Best effort: the cluster still has to stop.
            }
        }

        foreach (var silo in _silos.ToList())
        {
            await silo.DisposeAsync();
        }
    }
}

/// <summary>One frontend: the real Program on Kestrel, on a free loopback port.</summary>
public sealed class FrontendHost : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;
    private bool _disposed;

    private FrontendHost(WebApplicationFactory<Program> factory, Uri baseAddress, string name, LogCollector logs)
    {
        Logs = logs;
        _factory = factory;
        BaseAddress = baseAddress;
        Name = name;
    }

    public Uri BaseAddress { get; }

    /// <summary>What the frontend logged at warning level and above.</summary>
    public LogCollector Logs { get; }

    public string Name { get; }

    public IServiceProvider Services => _factory.Services;

    public static async Task<FrontendHost> StartAsync(IReadOnlyDictionary<string, string?> configuration)
    {
        var logs = new LogCollector();
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(configuration));
            builder.ConfigureLogging(logging => logging.ClearProviders().AddProvider(logs));
        });
        factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var host = new FrontendHost(factory, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/"), configuration["Chat:Frontend:Name"]!, logs);
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = ChatSystem.Timeout };
        try
        {
            await Eventually.TrueAsync(async () => (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, "the frontend to be ready");
        }
        catch (Exception exception)
        {
            var ready = await http.GetStringAsync("/health/ready").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : t.Exception?.Message, TaskScheduler.Default);
            throw new InvalidOperationException($"{exception.Message} Readiness: {ready}; its warnings: {string.Join(" | ", logs.Entries.TakeLast(10))}", exception);
        }

        return host;
    }

    /// <summary>An HTTP client of this frontend, with a bearer token when given.</summary>
    public ApiClient Client(string? token = null) => new(BaseAddress, token);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _factory.DisposeAsync().AsTask().WaitAsync(ChatSystem.Timeout);
    }
}

/// <summary>A fresh database, a one-silo cluster and two frontends for a test class.</summary>
public class ChatSystemFixture : Chat.Testing.PostgresDatabaseFixture
{
    private ChatSystem? _system;

    public ChatSystem System => _system ?? throw new InvalidOperationException("Not initialized.");

    protected override string DatabasePrefix => "frontend";

    protected virtual IReadOnlyDictionary<string, string?>? Overrides => null;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _system = await ChatSystem.StartAsync(ConnectionString, 2, Overrides);
    }

    public override async Task DisposeAsync()
    {
        if (_system is not null)
        {
            await _system.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
