
namespace Chat.Grains;

/// <summary>Calls that span more than one grain, for the frontend.</summary>
public static class ChatGrainFactoryExtensions
{
    /// <summary>
    /// "Open a DM with <paramref name="otherUserId"/>" (SPEC <c>POST /api/conversations/direct</c>): in
    /// <paramref name="organizationId"/>, or else in the first organization (by name) both users belong to.
    /// FORBIDDEN when they share none; VALIDATION_ERROR for a DM with yourself.
    /// </summary>
    public static async Task<OpenDirectResult> OpenDirectConversationAsync(
        this IGrainFactory grains, Guid userId, Guid otherUserId, Guid? organizationId = null)
    {
        if (userId == otherUserId)
        {
            throw ChatException.Validation("userId", "A direct conversation needs another user.");
        }

        if (organizationId is null)
        {
            var mine = await grains.GetGrain<IUserGrain>(userId).GetOrganizations().ConfigureAwait(false);
            var theirs = await grains.GetGrain<IUserGrain>(otherUserId).GetOrganizations().ConfigureAwait(false);
            var shared = mine.Where(m => theirs.Any(t => t.OrganizationId == m.OrganizationId))
                .OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.OrganizationId)
                .Select(m => (Guid?)m.OrganizationId).FirstOrDefault();
            organizationId = shared ?? throw ChatException.Forbidden("You can only start conversations with members of your organizations.");
        }

        return await grains.GetGrain<IDirectConversationGrain>(DirectConversationKey.For(organizationId.Value, userId, otherUserId))
            .Open(userId).ConfigureAwait(false);
    }
}
