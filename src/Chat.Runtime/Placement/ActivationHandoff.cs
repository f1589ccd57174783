using Chat.Runtime.Diagnostics;
using Chat.Runtime.Invocation;
using Chat.Runtime.Membership;
using Chat.Runtime.Messaging;

namespace Chat.Runtime.Placement;

/// <summary>
/// Keeps a grain to one activation when it changes owner because a silo joined: the previous owner
/// lets go of it only when it sees the new view and its current turn ends, so before activating a
/// grain here, a silo asks the others to release it and waits. Leaves need none of this (a leaving
/// silo keeps its grains until it is dead), and dead silos run nothing; so it is asked only for a
/// while after the set of placement silos changed, and never to dead silos.
/// </summary>
internal sealed class ActivationHandoff(MembershipViewKeeper keeper, SiloAddress self, Func<IGrainFactory> grains, TimeProvider time, TimeSpan window, TimeSpan timeout, RuntimeLog log)
{
    private long _placementChangedAt = time.GetTimestamp();

    /// <summary>The set of placement silos changed: other silos may hold grains we now own.</summary>
    public void OnPlacementChanged() => Volatile.Write(ref _placementChangedAt, time.GetTimestamp());

    public Task BeforeActivateAsync(GrainId grainId)
    {
        if (time.GetElapsedTime(Volatile.Read(ref _placementChangedAt)) > window)
        {
            return Task.CompletedTask;
        }

        var view = keeper.Current;
        List<Task>? releases = null;
        foreach (var silo in view.PlacementSilos)
        {
            if (silo != self)
            {
                (releases ??= []).Add(grains().GetGrain<ISiloControl>(silo.ToString()).ReleaseGrain(grainId.Type, grainId.Key, view.Version));
            }
        }

        return releases is null ? Task.CompletedTask : WaitAsync(grainId, releases);
    }

    private async Task WaitAsync(GrainId grainId, List<Task> releases)
    {
        try
        {
            await Task.WhenAll(releases).WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A silo that does not answer is dying (and will run nothing once dead) or stuck; waiting
            // longer would only fail the callers. Storage versions still catch a stale write.
            log.HandoffIncomplete(grainId, timeout, ex);
        }
    }
}
