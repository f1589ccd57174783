
namespace Chat.Grains;

/// <summary>
/// The index of direct conversations: one activation per organization and sorted user pair (key
/// <c>orgId:userA:userB</c>, see <see cref="DirectConversationKey"/>), so that concurrent "open DM"
/// calls of both users are serialised and create at most one conversation.
/// </summary>
[Alias("direct-conversation")]
public interface IDirectConversationGrain : IGrainWithStringKey
{
    /// <summary>Returns the pair's conversation, creating it on first use (Created=true exactly once).</summary>
    Task<OpenDirectResult> Open(Guid userId);
}

/// <summary>Keys of <see cref="IDirectConversationGrain"/>.</summary>
public static class DirectConversationKey
{
    /// <summary>The key of a pair in an organization, independent of the pair's order.</summary>
    public static string For(Guid organizationId, Guid user1, Guid user2)
    {
        var (a, b) = user1.CompareTo(user2) <= 0 ? (user1, user2) : (user2, user1);
        return $"{organizationId:N}:{a:N}:{b:N}";
    }

    /// <summary>Parses a key; false when it is not one.</summary>
    public static bool TryParse(string key, out Guid organizationId, out Guid userA, out Guid userB)
    {
        organizationId = userA = userB = Guid.Empty;
        var parts = key.Split(':');
        return parts.Length == 3
            && Guid.TryParseExact(parts[0], "N", out organizationId)
            && Guid.TryParseExact(parts[1], "N", out userA)
            && Guid.TryParseExact(parts[2], "N", out userB);
    }
}
