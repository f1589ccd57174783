namespace Chat.LoadTest.Workload;

/// <summary>A conversation to provision: members are user indices; the first creates it.</summary>
/// <param name="Key">Stable name, used to find the conversation again in the provisioning cache.</param>
/// <param name="IsDirect">A DM (two members) rather than a group.</param>
/// <param name="Members">User indices, creator first.</param>
public sealed record ConversationPlan(string Key, bool IsDirect, IReadOnlyList<int> Members);

/// <summary>
/// Places users in DMs and groups, deterministically (the same options give the same conversations, so
/// that a later run reuses them).
/// </summary>
public static class Topology
{
    /// <summary>The conversations of <paramref name="users"/> users.</summary>
    /// <param name="users">Number of users (indices 0 … users-1).</param>
    /// <param name="directPerUser">DMs per user: user i with i+1 … i+n (mod users).</param>
    /// <param name="groups">Group sizes and counts; sizes above <paramref name="users"/> shrink to it.</param>
    public static IReadOnlyList<ConversationPlan> Plan(int users, int directPerUser, IReadOnlyList<(int Size, int Count)> groups)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(users);
        var plans = new List<ConversationPlan>();
        var pairs = new HashSet<(int, int)>();
        for (var k = 1; k <= directPerUser; k++)
        {
            for (var i = 0; i < users; i++)
            {
                var j = (i + k) % users;
                var pair = (Math.Min(i, j), Math.Max(i, j));
                if (i != j && pairs.Add(pair))
                {
                    plans.Add(new ConversationPlan($"dm:{pair.Item1}:{pair.Item2}", true, [i, j]));
                }
            }
        }

        if (users < 3)
        {
            return plans;
        }

        for (var kind = 0; kind < groups.Count; kind++)
        {
            var (requested, count) = groups[kind];
            var size = Math.Min(requested, users);
            for (var g = 0; g < count; g++)
            {
                // Consecutive blocks, shifted per kind, so that groups of one kind cover users evenly and
                // groups of different kinds mix different people.
                var start = (int)(((long)g * size + (kind * 7919L)) % users);
                var members = Enumerable.Range(0, size).Select(j => (start + j) % users).ToArray();
                // The key names the members: a cached group is reused only by a run that wants the same people in it.
                plans.Add(new ConversationPlan($"group:{requested}:{g}:{Fingerprint(members)}", false, members));
            }
        }

        return plans;
    }

    /// <summary>A stable 64-bit FNV-1a hash of the member list (string.GetHashCode differs per process).</summary>
    private static string Fingerprint(int[] members)
    {
        var hash = 14695981039346656037UL;
        foreach (var member in members)
        {
            hash = (hash ^ (uint)member) * 1099511628211UL;
        }

        return hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }
}
