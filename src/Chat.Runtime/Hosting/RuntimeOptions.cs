using System.ComponentModel.DataAnnotations;

namespace Chat.Runtime.Hosting;

/// <summary>Identity of the silo and its cluster. Section <c>Chat:Silo</c>.</summary>
public sealed class SiloOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Silo";

    /// <summary>The service: part of every persisted grain key. Default <c>chat</c>.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.-]{1,100}$", ErrorMessage = "Chat:Silo:ServiceId must be 1-100 letters, digits, '_', '.' or '-'.")]
    public string ServiceId { get; set; } = "chat";

    /// <summary>The cluster: silos with the same id form one cluster. Default <c>dev</c>.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.-]{1,100}$", ErrorMessage = "Chat:Silo:ClusterId must be 1-100 letters, digits, '_', '.' or '-'.")]
    public string ClusterId { get; set; } = "dev";

    /// <summary>This silo's name, for logs and status. Default: machine name and process id.</summary>
    [Required]
    public string Name { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";
}

/// <summary>Activation lifecycle. Section <c>Chat:Activation</c>.</summary>
public sealed class ActivationOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Activation";

    /// <summary>Idle activations older than this are deactivated. Default 15 minutes.</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for. Default 1 minute.</summary>
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Per grain type (the <see cref="GrainId.Type"/>) collection ages.</summary>
    public Dictionary<string, TimeSpan> CollectionAgeByType { get; set; } = [];

    /// <summary>Time allowed for loading state and <c>OnActivateAsync</c>. Default 30 s.</summary>
    public TimeSpan ActivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for <c>OnDeactivateAsync</c>. Default 30 s.</summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Grain calls. Section <c>Chat:Messaging</c>.</summary>
public sealed class MessagingOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Messaging";

    /// <summary>Default call timeout. Default 30 s.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often call deadlines are checked. Default 1 s.</summary>
    public TimeSpan TimeoutCheckInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>PostgreSQL used by the runtime and the hosts (grain storage, membership, chat tables). Section <c>Chat:Database</c>.</summary>
public sealed class RuntimeDatabaseOptions
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
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString);
            return $"{builder.Host}:{builder.Port}/{builder.Database}";
        }
        catch (ArgumentException)
        {
            return "(invalid connection string)";
        }
    }
}

/// <summary>Validates <see cref="RuntimeDatabaseOptions"/>; messages name the configuration key.</summary>
internal sealed class RuntimeDatabaseOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<RuntimeDatabaseOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, RuntimeDatabaseOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return Microsoft.Extensions.Options.ValidateOptionsResult.Fail(
                "Chat:Database:ConnectionString is required (set it in appsettings.json or the environment variable Chat__Database__ConnectionString).");
        }

        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException exception)
        {
            return Microsoft.Extensions.Options.ValidateOptionsResult.Fail(
                $"Chat:Database:ConnectionString is not a valid PostgreSQL connection string: {exception.Message}");
        }

        return options.HealthCheckTimeoutSeconds is < 1 or > 300
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail("Chat:Database:HealthCheckTimeoutSeconds must be between 1 and 300.")
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
    }
}
