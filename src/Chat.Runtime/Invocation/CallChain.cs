namespace Chat.Runtime.Invocation;

/// <summary>
/// The silos whose grain turns a call is made on behalf of: a grain turn on silo A that calls a grain
/// on silo B, which in turn calls a grain back on A, carries A (and B) all the way. A silo that is
/// leaving uses it to tell the work that finishes its own turns (which it must still serve, or its
/// grains would wait on themselves) from new work (which it refuses, so it can be re-routed).
/// </summary>
internal static class CallChain
{
    private static readonly AsyncLocal<Turn?> s_current = new();

    /// <summary>The chain of the grain turn running on this async flow; null outside grain turns.</summary>
    public static long[]? Current => s_current.Value?.Chain;

    /// <summary>The grain turn running on this async flow (its request and activation), if any.</summary>
    public static Turn? CurrentTurn => s_current.Value;

    /// <summary>An id for a silo incarnation in chains (its address's hash mixed with its generation).</summary>
    public static long IdOf(Messaging.SiloAddress address) => ((long)StableHash.XxHash32($"{address.Host}:{address.Port}") << 32) ^ address.Generation;

    /// <summary>Whether <paramref name="chain"/> passes through silo <paramref name="siloId"/>.</summary>
    public static bool Contains(long[]? chain, long siloId) => siloId != 0 && chain is not null && Array.IndexOf(chain, siloId) >= 0;

    /// <summary>
    /// Makes the turn of <paramref name="activation"/> on silo <paramref name="siloId"/> serving
    /// <paramref name="request"/> (null for timers, activation and deactivation) current, returning
    /// what was current before (pass it to <see cref="Restore"/> once the turn's synchronous part
    /// returned; its awaits keep the turn by themselves).
    /// </summary>
    public static Turn? Enter(GrainRequest? request, object activation, long siloId, long[]? selfOnly)
    {
        var previous = s_current.Value;
        var incoming = request?.Chain;
        long[]? chain;
        if (siloId == 0)
        {
            chain = incoming;
        }
        else if (incoming is null || incoming.Length == 0)
        {
            chain = selfOnly;
        }
        else if (Array.IndexOf(incoming, siloId) >= 0)
        {
            chain = incoming;
        }
        else
        {
            chain = [.. incoming, siloId];
        }

        s_current.Value = new Turn(chain, request, activation);
        return previous;
    }

    /// <summary>Puts back what <see cref="Enter"/> replaced.</summary>
    public static void Restore(Turn? previous) => s_current.Value = previous;

    /// <summary>One grain turn as seen by the code it runs.</summary>
    internal sealed record Turn(long[]? Chain, GrainRequest? Request, object Activation);
}
