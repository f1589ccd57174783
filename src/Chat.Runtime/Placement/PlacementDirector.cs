using Chat.Runtime.Membership;
using Chat.Runtime.Messaging;

namespace Chat.Runtime.Placement;

/// <summary>
/// Rendezvous (highest random weight) hashing: the owner of a grain is the active silo with the
/// highest score for (grain hash, silo hash). Every node with the same view picks the same owner,
/// and a join or leave moves only the grains whose best score changes: about 1/N of them.
/// </summary>
public static class PlacementDirector
{
    /// <summary>The owner of <paramref name="grainId"/> in <paramref name="view"/>.</summary>
    public static SiloAddress GetOwner(GrainId grainId, ClusterView view) => GetOwner(grainId.GetStableHash(), view);

    /// <summary>The owner of a grain given its stable hash.</summary>
    public static SiloAddress GetOwner(uint grainHash, ClusterView view)
    {
        var hashes = view.SiloHashes;
        if (hashes.Length == 0)
        {
            throw new SiloUnavailableException("No silo in the cluster can take grains.");
        }

        var best = 0;
        var bestScore = Score(grainHash, hashes[0]);
        for (var i = 1; i < hashes.Length; i++)
        {
            var score = Score(grainHash, hashes[i]);
            if (score > bestScore)
            {
                best = i;
                bestScore = score;
            }
        }

        return view.PlacementSilos[best];
    }

    /// <summary>A well-mixed 64-bit score (SplitMix64 finaliser of both hashes).</summary>
    internal static ulong Score(uint grainHash, uint siloHash)
    {
        var z = ((ulong)grainHash << 32 | siloHash) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
