using System.Text.Json;
using Chat.ServiceDefaults.Database;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.ServiceDefaults.Health;

/// <summary>
/// <c>/health/live</c> (the process runs) and <c>/health/ready</c> (PostgreSQL answers, plus each
/// host's own cluster check tagged <see cref="ReadyTag"/>), the same for silos and frontends.
/// </summary>
public static class ChatHealthChecks
{
    /// <summary>Tag of the checks behind <c>/health/live</c>.</summary>
    public const string LiveTag = "live";

    /// <summary>Tag of the checks behind <c>/health/ready</c>.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Registers the process and PostgreSQL checks; hosts add their cluster check to the builder.</summary>
    public static IHealthChecksBuilder AddChatHealthChecks(this IServiceCollection services) =>
        services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy("The process is running."), tags: [LiveTag])
            .AddCheck<PostgresHealthCheck>("postgres", tags: [ReadyTag]);

    /// <summary>Maps <c>/health/live</c> and <c>/health/ready</c> (JSON; 503 when unhealthy).</summary>
    public static IEndpointRouteBuilder MapChatHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", Options(LiveTag));
        endpoints.MapHealthChecks("/health/ready", Options(ReadyTag));
        return endpoints;
    }

    private static HealthCheckOptions Options(string tag) => new()
    {
        Predicate = registration => registration.Tags.Contains(tag),
        ResponseWriter = WriteJsonAsync,
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
    };

    private static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new { status = entry.Value.Status.ToString(), description = entry.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }
}

/// <summary>Readiness: PostgreSQL answers <c>SELECT 1</c> within <c>Chat:Database:HealthCheckTimeoutSeconds</c>.</summary>
internal sealed partial class PostgresHealthCheck(ChatDataSource dataSource, IOptions<ChatDatabaseOptions> options, ILogger<PostgresHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.HealthCheckTimeoutSeconds));
        try
        {
            await using var command = dataSource.DataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy("PostgreSQL answers.");
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            LogUnreachable(logger, options.Value.DescribeTarget(), exception is OperationCanceledException ? "timed out" : exception.Message);
            return HealthCheckResult.Unhealthy("PostgreSQL is unreachable.");
        }
    }

    [LoggerMessage(1201, LogLevel.Warning, "PostgreSQL at {Target} is unreachable: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string target, string reason);
}
