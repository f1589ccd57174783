using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.Silo.Hosting;

/// <summary>
/// The silo host's view of section <c>Chat:Database</c>. The runtime binds the same section
/// (<c>RuntimeDatabaseOptions</c>) and reports a missing connection string; this class adds what
/// only the host uses, and validates the connection string's syntax.
/// </summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Chat:Database";

    /// <summary>Npgsql connection string of the chat database. Required (reported by the runtime's validation).</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Seconds the readiness probe waits for <c>SELECT 1</c>.</summary>
    public int HealthCheckTimeoutSeconds { get; set; } = 5;

    /// <summary>The connection string's target without credentials, safe to log.</summary>
    public string DescribeTarget()
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
            return $"{builder.Host}:{builder.Port}/{builder.Database}";
        }
        catch (ArgumentException)
        {
            return "(invalid connection string)";
        }
    }
}

/// <summary>Validates <see cref="DatabaseOptions"/>; messages name the configuration key.</summary>
internal sealed class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        // An empty connection string is reported once, by the runtime's RuntimeDatabaseOptions validation.
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            }
            catch (ArgumentException exception)
            {
                return ValidateOptionsResult.Fail(
                    $"{DatabaseOptions.SectionName}:{nameof(DatabaseOptions.ConnectionString)} is not a valid PostgreSQL connection string: {exception.Message}");
            }
        }

        if (options.HealthCheckTimeoutSeconds is < 1 or > 300)
        {
            return ValidateOptionsResult.Fail(
                $"{DatabaseOptions.SectionName}:{nameof(DatabaseOptions.HealthCheckTimeoutSeconds)} must be between 1 and 300.");
        }

        return ValidateOptionsResult.Success;
    }
}
