using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Chat.Client.Tests.Infrastructure;

/// <summary>A real Kestrel server on a free loopback port with the test hub at <c>/hubs/chat</c>.</summary>
public sealed class TestHubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;

    private TestHubServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        HubUrl = new Uri(baseUrl, "hubs/chat");
        State = app.Services.GetRequiredService<TestHubState>();
        Hub = app.Services.GetRequiredService<IHubContext<TestHub>>();
    }

    public Uri BaseUrl { get; }

    public Uri HubUrl { get; }

    public TestHubState State { get; }

    public IHubContext<TestHub> Hub { get; }

    public static async Task<TestHubServer> StartAsync(Action<HubOptions>? configureHub = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TestHubState>();
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        builder.Services.AddSignalR(options =>
        {
            options.MaximumParallelInvocationsPerClient = 2;
            configureHub?.Invoke(options);
        });

        var app = builder.Build();
        app.UseWebSockets();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHub<TestHub>("/hubs/chat");
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestHubServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>Appends an event to the user's log and pushes it to the user's connections.</summary>
    public async Task<TickEvent> PublishAsync(string user, int n, bool live = true)
    {
        var tick = State.LogOf(user).Append(n);
        if (live)
        {
            await Hub.Clients.User(user).SendAsync(tick.Type, tick).WaitAsync(TimeSpan.FromSeconds(10));
        }

        return tick;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }
}
