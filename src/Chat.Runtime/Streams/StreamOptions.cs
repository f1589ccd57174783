namespace Chat.Runtime.Streams;

/// <summary>Streams. Section <c>Chat:Streams</c>.</summary>
public sealed class StreamOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Streams";

    /// <summary>Events each stream keeps for replay (resume). Default 256.</summary>
    public int ReplayBufferSize { get; set; } = 256;

    /// <summary>How long a subscription lives without renewal. Default 30 s.</summary>
    public TimeSpan SubscriptionLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often subscribers renew their leases. Default 10 s.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(10);
}
