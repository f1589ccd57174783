namespace Chat.Client;

/// <summary><c>POST /api/organizations</c>.</summary>
public sealed record CreateOrganizationRequest(string Name);

/// <summary>An organization (tenant).</summary>
public sealed record OrganizationInfo(Guid Id, string Name, DateTimeOffset CreatedAt);

/// <summary>One of the caller's organizations and the caller's role in it.</summary>
public sealed record OrganizationMembership(Guid OrganizationId, string Name, Role Role);

/// <summary>An entry of an organization's directory.</summary>
public sealed record OrganizationMember(Guid UserId, string Username, string DisplayName, string? AvatarUrl, Role Role, DateTimeOffset JoinedAt);

/// <summary><c>GET /api/organizations/{orgId}/members</c>.</summary>
public sealed record OrganizationDirectory(Guid OrganizationId, IReadOnlyList<OrganizationMember> Members);

/// <summary><c>POST /api/organizations/{orgId}/members</c>; the role defaults to member on the server.</summary>
public sealed record AddMemberRequest(string Username, Role? Role = null);
