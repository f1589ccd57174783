using Chat.Runtime.Activation;
using Chat.Runtime.Membership;
using Chat.Runtime.Messaging;

namespace Chat.Runtime.Placement;

/// <summary>This silo's answers to <see cref="ISiloControl"/>.</summary>
internal sealed class SiloControl(Catalog catalog, MembershipViewKeeper keeper, SiloAddress self) : ISiloControl
{
    /// <summary>The grain type of <see cref="ISiloControl"/>: routed by key to one silo, never placed or activated.</summary>
    public const string GrainType = "sys.silo";

    public async Task ReleaseGrain(string grainType, string grainKey, long viewVersion)
    {
        // Judge ownership in the asker's view (or a newer one), never in an older one that still names us.
        var view = await keeper.WaitForVersionAsync(viewVersion, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        var grainId = new GrainId(grainType, grainKey);
        if (view.PlacementSilos.Count != 0 && PlacementDirector.GetOwner(grainId, view) == self)
        {
            return;
        }

        var reason = new DeactivationReason(DeactivationReasonCode.PlacementChanged, $"handed over to its owner in view {view.Version}");
        await catalog.ReleaseAsync(grainId, reason, catalog.Options.DeactivationTimeout).ConfigureAwait(false);
    }
}
