using Chat.ServiceDefaults.Database;
using Chat.ServiceDefaults.Health;
using Chat.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Chat.ServiceDefaults;

/// <summary>The defaults every chat host starts with (as eShop's ServiceDefaults).</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// <c>Chat:Database</c> (validated at start) with the shared pool <see cref="ChatDataSource"/>,
    /// health checks (process, PostgreSQL) and OpenTelemetry metrics.
    /// </summary>
    public static IServiceCollection AddChatServiceDefaults(this IServiceCollection services)
    {
        services.AddChatDatabase();
        services.AddChatHealthChecks();
        services.AddChatTelemetry();
        return services;
    }

    /// <summary><c>Chat:Database</c>, validated at start, and the shared pool.</summary>
    public static IServiceCollection AddChatDatabase(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(ChatDataSource)))
        {
            return services;
        }

        services.AddOptions<ChatDatabaseOptions>().BindConfiguration(ChatDatabaseOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatDatabaseOptions>, ChatDatabaseOptionsValidator>();
        services.AddSingleton<ChatDataSource>();
        return services;
    }

    /// <summary><c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c>.</summary>
    public static WebApplication MapChatDefaultEndpoints(this WebApplication app)
    {
        app.MapChatHealthEndpoints();
        app.MapChatMetrics();
        return app;
    }
}
