using Chat.Runtime.Messaging;

namespace Chat.Runtime.Membership;

/// <summary>Status of a silo in the membership table.</summary>
public enum SiloStatus
{
    /// <summary>Starting; not yet given grains.</summary>
    Joining = 1,

    /// <summary>Running; grains are placed on it.</summary>
    Active = 2,

    /// <summary>Leaving gracefully; no new grains.</summary>
    ShuttingDown = 3,

    /// <summary>Gone (declared dead or left). Never comes back: a restart is a new generation.</summary>
    Dead = 4,
}

/// <summary>One row of the membership table.</summary>
public sealed record SiloEntry(
    SiloAddress Address,
    string Name,
    SiloStatus Status,
    int GatewayPort,
    string? HttpUrl,
    DateTimeOffset StartTime,
    DateTimeOffset HeartbeatAt,
    TimeSpan HeartbeatAge)
{
    /// <summary>"name Status 1.2s" (heartbeat age): for status lines and test failures.</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Name} {Status} {HeartbeatAge.TotalSeconds:F1}s");
}

/// <summary>
/// An immutable snapshot of the membership table at one table version. Placement only uses
/// <see cref="PlacementSilos"/>, so every node holding the same version computes the same owners.
/// </summary>
public sealed class ClusterView
{
    /// <summary>The view before the first read.</summary>
    public static readonly ClusterView Empty = new(-1, []);

    /// <summary>Creates a view.</summary>
    public ClusterView(long version, IReadOnlyList<SiloEntry> members)
    {
        Version = version;
        Members = members;
        ActiveSilos = members.Where(m => m.Status == SiloStatus.Active).Select(m => m.Address).OrderBy(a => a.ToString(), StringComparer.Ordinal).ToArray();
        PlacementSilos = members.Where(m => m.Status is SiloStatus.Active or SiloStatus.ShuttingDown).Select(m => m.Address).OrderBy(a => a.ToString(), StringComparer.Ordinal).ToArray();
        SiloHashes = PlacementSilos.Select(a => a.GetStableHash()).ToArray();
        LeavingSilos = members.Where(m => m.Status == SiloStatus.ShuttingDown).Select(m => m.Address).ToHashSet();
    }

    /// <summary>The table version this view was read at.</summary>
    public long Version { get; }

    /// <summary>Every row, dead ones included.</summary>
    public IReadOnlyList<SiloEntry> Members { get; }

    /// <summary>Silos that take grains, in a canonical order.</summary>
    public IReadOnlyList<SiloAddress> ActiveSilos { get; }

    /// <summary>
    /// Silos that own grains: the active ones and those shutting down. A leaving silo keeps its
    /// grains until it is dead, so they never have a second activation elsewhere while it still
    /// finishes and persists them; meanwhile it refuses new work and callers retry.
    /// </summary>
    public IReadOnlyList<SiloAddress> PlacementSilos { get; }

    /// <summary>Silos shutting down: they refuse every new request, so one sent to them never runs there.</summary>
    public IReadOnlySet<SiloAddress> LeavingSilos { get; }

    /// <summary>Stable hashes of <see cref="PlacementSilos"/>, same order.</summary>
    internal uint[] SiloHashes { get; }

    /// <summary>The status of a silo, or null if it has no row.</summary>
    public SiloStatus? StatusOf(SiloAddress silo) => Members.FirstOrDefault(m => m.Address == silo)?.Status;
}
