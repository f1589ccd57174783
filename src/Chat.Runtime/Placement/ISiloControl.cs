namespace Chat.Runtime.Placement;

/// <summary>
/// Requests addressed to one silo rather than to a grain's owner (key: the silo's address,
/// <c>host:port@generation</c>). Every silo answers them directly, outside any grain turn.
/// </summary>
[GrainType(SiloControl.GrainType)]
public interface ISiloControl : IGrainWithStringKey
{
    /// <summary>
    /// Returns once this silo runs no activation of the grain unless it owns it in a view at least as
    /// new as <paramref name="viewVersion"/>: asked by a grain's new owner before it activates it.
    /// </summary>
    Task ReleaseGrain(string grainType, string grainKey, long viewVersion);
}
