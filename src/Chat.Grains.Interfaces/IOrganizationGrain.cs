
namespace Chat.Grains;

/// <summary>An organization (key: organization id): its members, roles and directory.</summary>
[Alias("organization")]
public interface IOrganizationGrain : IGrainWithGuidKey
{
    /// <summary>Creates the organization with <paramref name="userId"/> as owner.</summary>
    Task<OrganizationInfo> Create(Guid userId, string name);

    /// <summary>The organization (members only).</summary>
    [ReadOnly]
    Task<OrganizationInfo> GetInfo(Guid userId);

    /// <summary>The directory (members only), filtered by username or display name when <paramref name="query"/> is given.</summary>
    [ReadOnly]
    Task<OrganizationDirectory> GetMembers(Guid userId, string? query = null);

    /// <summary>Adds a user by username (owner or admin; only owners add owners or admins).</summary>
    Task<OrganizationMember> AddMember(Guid userId, string username, Role role = Role.Member);

    /// <summary>
    /// Removes a member (owner or admin; a member may remove themselves). The member's participations in
    /// the organization's conversations end before this returns.
    /// </summary>
    Task RemoveMember(Guid userId, Guid targetUserId);

    /// <summary>The role of a user, or null when not a member.</summary>
    [ReadOnly]
    Task<Role?> GetRole(Guid userId);
}
