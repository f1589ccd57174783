using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.ServiceDefaults.Database;

/// <summary>PostgreSQL used by both hosts (chat tables, Orleans membership, grain storage). Section <c>Chat:Database</c>.</summary>
public sealed class ChatDatabaseOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Database";

    /// <summary>Npgsql connection string. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Seconds the readiness probe waits for <c>SELECT 1</c>. Default 5.</summary>
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

/// <summary>Validates <see cref="ChatDatabaseOptions"/>; messages name the configuration key.</summary>
internal sealed class ChatDatabaseOptionsValidator : IValidateOptions<ChatDatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatDatabaseOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail(
                "Chat:Database:ConnectionString is required (set it in appsettings.json or the environment variable Chat__Database__ConnectionString).");
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException exception)
        {
            return ValidateOptionsResult.Fail($"Chat:Database:ConnectionString is not a valid PostgreSQL connection string: {exception.Message}");
        }

        return options.HealthCheckTimeoutSeconds is < 1 or > 300
            ? ValidateOptionsResult.Fail("Chat:Database:HealthCheckTimeoutSeconds must be between 1 and 300.")
            : ValidateOptionsResult.Success;
    }
}
