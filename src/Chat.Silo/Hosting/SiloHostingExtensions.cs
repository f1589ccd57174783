using System.Data.Common;
using Chat.Grains.Hosting;
using Chat.ServiceDefaults;
using Chat.ServiceDefaults.Database;
using Chat.ServiceDefaults.Health;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using Orleans.Hosting.Kubernetes;

namespace Chat.Silo.Hosting;

/// <summary>Composition of the silo host: the steps Program.cs calls.</summary>
public static partial class SiloHostingExtensions
{
    /// <summary>
    /// Registers the shared defaults (database, health, metrics), the schema migrations, and Orleans
    /// with the chat domain, ADO.NET clustering and storage, the event streams and the dashboard.
    /// </summary>
    public static WebApplicationBuilder AddChatSiloHost(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        DbProviderFactories.RegisterFactory(OrleansConfiguration.Invariant, Npgsql.NpgsqlFactory.Instance);
        services.AddChatServiceDefaults();
        services.AddOptions<ChatSiloOptions>().BindConfiguration(ChatSiloOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SiloHttpOptions>().BindConfiguration(SiloHttpOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHealthChecks().AddCheck<SiloReadinessCheck>("cluster", tags: [ChatHealthChecks.ReadyTag]);

        // Before Orleans: hosted services start in order, and the providers read their queries at start.
        services.AddHostedService<SchemaMigrationService>();

        builder.UseOrleans(silo =>
        {
            silo.ConfigureChatCluster().AddChatDomain().AddDashboard();
            if (builder.Configuration.GetValue<bool>($"{ChatSiloOptions.SectionName}:{nameof(ChatSiloOptions.Kubernetes)}"))
            {
                silo.UseKubernetesHosting();
            }
        });
        return builder;
    }

    /// <summary>Health, Prometheus metrics, a JSON status for operators and the Orleans dashboard (loopback only).</summary>
    public static WebApplication MapChatSiloEndpoints(this WebApplication app)
    {
        app.MapChatDefaultEndpoints();
        app.MapGet("/status", SiloStatusEndpoint.GetAsync);
        // The dashboard has no authorization of its own: only callers on this machine (or a port-forward) see it.
        app.MapOrleansDashboard(routePrefix: "/dashboard").AddEndpointFilter(async (context, next) =>
            context.HttpContext.Connection.RemoteIpAddress is { } remote && System.Net.IPAddress.IsLoopback(remote)
                ? await next(context)
                : Results.StatusCode(StatusCodes.Status403Forbidden));
        return app;
    }

    /// <summary>Logs who this silo is and where its database is, once the host has started.</summary>
    public static WebApplication LogChatSiloStartup(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var silo = app.Services.GetRequiredService<IOptions<ChatSiloOptions>>().Value;
            var database = app.Services.GetRequiredService<IOptions<ChatDatabaseOptions>>().Value;
            LogStarted(app.Logger, silo.Name, silo.SiloPort, silo.GatewayPort, database.DescribeTarget(), ListeningAddresses(app));
        });
        app.Lifetime.ApplicationStopping.Register(() =>
            LogStopping(app.Logger, app.Services.GetRequiredService<IOptions<ChatSiloOptions>>().Value.Name));
        return app;
    }

    private static string ListeningAddresses(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        return addresses is { Count: > 0 } ? string.Join(", ", addresses) : "(in-process test server)";
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Silo {SiloName} started (silo port {SiloPort}, gateway port {GatewayPort}); database {DatabaseTarget}; listening on {Urls}")]
    private static partial void LogStarted(ILogger logger, string siloName, int siloPort, int gatewayPort, string databaseTarget, string urls);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Silo {SiloName} stopping")]
    private static partial void LogStopping(ILogger logger, string siloName);
}
