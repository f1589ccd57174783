namespace Chat.Runtime.Invocation;

/// <summary>
/// The silos whose grain turns a call is made on behalf of: a grain turn on silo A that calls a grain
/// on silo B, which in turn calls a grain back on A, carries A (and B) all the way. A silo that is
/// leaving uses it to tell the work that finishes its own turns (which it must still serve, or its
/// grains would wait on themselves) from new work (which it refuses, so it can be re-routed).
/// </summary>
internal static class CallChain
{
    private static readonly AsyncLocal<long[]?> s_current = new();

    /// <summary>The chain of the grain turn running on this async flow; null outside grain turns.</summary>
    public static long[]? Current => s_current.Value;

    /// <summary>An id for a silo incarnation in chains (its address's hash mixed with its generation).</summary>
    public static long IdOf(Messaging.SiloAddress address) => ((long)StableHash.XxHash32($"{address.Host}:{address.Port}") << 32) ^ address.Generation;

    /// <summary>Whether <paramref name="chain"/> passes through silo <paramref name="siloId"/>.</summary>
    public static bool Contains(long[]? chain, long siloId) => siloId != 0 && chain is not null && Array.IndexOf(chain, siloId) >= 0;

    /// <summary>
    /// Makes the chain of a turn on <paramref name="siloId"/> serving <paramref name="incoming"/> current,
    /// returning what was current before (pass it to <see cref="Restore"/> once the turn's synchronous
    /// part returned; its awaits keep the chain by themselves).
    /// </summary>
    public static long[]? Enter(long[]? incoming, long siloId, long[]? selfOnly)
    {
        var previous = s_current.Value;
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

        if (!ReferenceEquals(previous, chain))
        {
            s_current.Value = chain;
        }

        return previous;
    }

    /// <summary>Puts back what <see cref="Enter"/> replaced.</summary>
    public static void Restore(long[]? previous)
    {
        if (!ReferenceEquals(s_current.Value, previous))
        {
            s_current.Value = previous;
        }
    }
}
