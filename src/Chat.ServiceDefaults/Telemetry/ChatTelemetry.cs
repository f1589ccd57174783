using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Chat.ServiceDefaults.Telemetry;

/// <summary>OpenTelemetry metrics of both hosts, exported in Prometheus text format at <c>/metrics</c>.</summary>
public static class ChatTelemetry
{
    /// <summary>Meters every host exports: Orleans', the chat's own, ASP.NET Core's (Kestrel, SignalR connections) and Npgsql's.</summary>
    public static readonly string[] Meters =
    [
        "Microsoft.Orleans",
        "Chat.Grains",
        "Chat.Frontend",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "Npgsql",
    ];

    /// <summary>Registers the meters, runtime metrics and the Prometheus exporter.</summary>
    public static IServiceCollection AddChatTelemetry(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(Meters)
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());
        return services;
    }

    /// <summary>Maps the Prometheus scraping endpoint at <c>/metrics</c>.</summary>
    public static WebApplication MapChatMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
