namespace Chat.Runtime.Membership;

/// <summary>Clustering: membership, failure detection and the silo's endpoint. Section <c>Chat:Cluster</c>.</summary>
public sealed class ClusterOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Cluster";

    /// <summary>How often a silo writes its heartbeat. Default 1 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the table is read (failure detection and the safety net behind LISTEN/NOTIFY). Default 500 ms.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A silo whose heartbeat is older than this is declared dead. Default 4 s (detection within 5 s).</summary>
    public TimeSpan DeathTimeout { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>Dead rows older than this are deleted. Default 1 hour.</summary>
    public TimeSpan DeadRowRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The address other processes use to reach this silo. Default 127.0.0.1.</summary>
    public string AdvertisedHost { get; set; } = "127.0.0.1";

    /// <summary>The silo's TCP port for silos and clients; 0 picks a free one. Default 0.</summary>
    public int Port { get; set; }

    /// <summary>The silo's HTTP address (health, metrics) shown in status; optional.</summary>
    public string? HttpUrl { get; set; }

    /// <summary>Frames queued per connection before senders wait. Default 65,536.</summary>
    public int SendQueueCapacity { get; set; } = 65536;

    /// <summary>Validation messages for these options (empty when valid).</summary>
    public IEnumerable<string> Validate()
    {
        if (HeartbeatInterval <= TimeSpan.Zero)
        {
            yield return "Chat:Cluster:HeartbeatInterval must be positive.";
        }

        if (ProbeInterval <= TimeSpan.Zero)
        {
            yield return "Chat:Cluster:ProbeInterval must be positive.";
        }

        if (DeathTimeout < HeartbeatInterval * 2)
        {
            yield return "Chat:Cluster:DeathTimeout must be at least twice Chat:Cluster:HeartbeatInterval.";
        }

        if (Port is < 0 or > 65535)
        {
            yield return "Chat:Cluster:Port must be between 0 and 65535.";
        }

        if (string.IsNullOrWhiteSpace(AdvertisedHost))
        {
            yield return "Chat:Cluster:AdvertisedHost is required.";
        }

        if (SendQueueCapacity < 16)
        {
            yield return "Chat:Cluster:SendQueueCapacity must be at least 16.";
        }
    }
}
