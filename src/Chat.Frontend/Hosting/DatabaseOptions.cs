using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.Frontend.Hosting;

/// <summary>PostgreSQL connection settings (section <c>Chat:Database</c>).</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Chat:Database";

    /// <summary>Npgsql connection string of the chat database. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Seconds the readiness probe waits for <c>SELECT 1</c>.</summary>
    public int HealthCheckTimeoutSeconds { get; set; } = 5;

    /// <summary>The connection string's target without credentials, safe to log.</summary>
    public string DescribeTarget()
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }
}

/// <summary>Validates <see cref="DatabaseOptions"/>; messages name the configuration key.</summary>
internal sealed class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail(
                $"{DatabaseOptions.SectionName}:{nameof(DatabaseOptions.ConnectionString)} is required " +
                "(set it in appsettings.json or the environment variable Chat__Database__ConnectionString).");
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException exception)
        {
            return ValidateOptionsResult.Fail(
                $"{DatabaseOptions.SectionName}:{nameof(DatabaseOptions.ConnectionString)} is not a valid PostgreSQL connection string: {exception.Message}");
        }

        if (options.HealthCheckTimeoutSeconds is < 1 or > 300)
        {
            return ValidateOptionsResult.Fail(
                $"{DatabaseOptions.SectionName}:{nameof(DatabaseOptions.HealthCheckTimeoutSeconds)} must be between 1 and 300.");
        }

        return ValidateOptionsResult.Success;
    }
}
