using Chat.Runtime.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.Silo.Hosting;

/// <summary>Readiness: PostgreSQL answers <c>SELECT 1</c> within the configured timeout (on the silo's one pool).</summary>
internal sealed partial class PostgresHealthCheck(
    RuntimeDataSource dataSource,
    IOptions<DatabaseOptions> options,
    ILogger<PostgresHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.HealthCheckTimeoutSeconds));
        try
        {
            await using var command = dataSource.DataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy("PostgreSQL answers.");
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            var reason = exception is OperationCanceledException ? "timed out" : exception.Message;
            LogUnreachable(logger, options.Value.DescribeTarget(), reason);
            return HealthCheckResult.Unhealthy("PostgreSQL is unreachable.");
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "PostgreSQL at {Target} is unreachable: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string target, string reason);
}
