using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using SiloOptions = Chat.Runtime.Hosting.SiloOptions;
using Chat.Grains.Hosting;
using Chat.Runtime.Diagnostics;
using Chat.Runtime.Hosting;

namespace Chat.Silo.Hosting;

/// <summary>Composition of the silo host: the steps Program.cs calls.</summary>
public static partial class SiloHostingExtensions
{
    /// <summary>Registers options (validated at startup), the silo runtime with the chat domain, and health checks.</summary>
    public static WebApplicationBuilder AddChatSiloHost(this WebApplicationBuilder builder)
    {
        var services = builder.Services;


        // The runtime and the chat grains share one PostgreSQL pool (the runtime's, on Chat:Database).
        services.AddChatSilo(silo =>
        {
            // Membership in the same database, a TCP port for silos and frontends, placement by hashing (Chat:Cluster).
            silo.UseClustering().AddChatDomain().AddPostgresGrainStorage();
        });

        services.AddChatHealthChecks();
        services.AddPrometheusMetrics();
        return builder;
    }

    /// <summary>Maps the silo's HTTP endpoints: health, Prometheus metrics and a JSON status for operators.</summary>
    public static WebApplication MapChatSiloEndpoints(this WebApplication app)
    {
        app.MapChatHealthEndpoints();
        app.MapPrometheusMetrics();
        app.MapGet("/status", (SiloState silo, IOptions<SiloOptions> options) => Results.Json(new
        {
            name = options.Value.Name,
            clusterId = options.Value.ClusterId,
            address = silo.Address?.ToString(),
            active = silo.IsActive,
            membershipVersion = silo.View.Version,
            activeSilos = silo.View.ActiveSilos.Select(a => a.ToString()),
            activations = silo.ActivationCount,
            activationsByType = silo.ActivationsByType,
            failureDetector = silo.FailureDetector is { } detector
                ? new
                {
                    sinceLastHeartbeatSeconds = detector.SinceLastHeartbeat?.TotalSeconds,
                    healthyForSeconds = detector.HealthyFor.TotalSeconds,
                    mayJudgeOthers = detector.MayJudgeOthers,
                    sinceLastReadSeconds = detector.SinceLastRead?.TotalSeconds,
                    lastDeclaration = detector.LastDeclaration,
                }
                : null,
        }));
        return app;
    }

    /// <summary>Logs who this silo is and where its database is, once the host has started.</summary>
    public static WebApplication LogChatSiloStartup(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var silo = app.Services.GetRequiredService<IOptions<SiloOptions>>().Value;
            var database = app.Services.GetRequiredService<IOptions<RuntimeDatabaseOptions>>().Value;
            LogStarted(app.Logger, silo.Name, database.DescribeTarget(), ListeningAddresses(app));
        });
        app.Lifetime.ApplicationStopping.Register(() =>
            LogStopping(app.Logger, app.Services.GetRequiredService<IOptions<SiloOptions>>().Value.Name));
        return app;
    }

    private static string ListeningAddresses(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        return addresses is { Count: > 0 } ? string.Join(", ", addresses) : "(in-process test server)";
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Silo {SiloName} started; database {DatabaseTarget}; listening on {Urls}")]
    private static partial void LogStarted(ILogger logger, string siloName, string databaseTarget, string urls);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Silo {SiloName} stopping")]
    private static partial void LogStopping(ILogger logger, string siloName);
}
