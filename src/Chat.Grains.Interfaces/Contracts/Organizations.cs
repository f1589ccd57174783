using System.Collections.Immutable;

namespace Chat.Grains;

/// <summary>An organization (tenant).</summary>
[GenerateSerializer, Immutable, Alias("chat.OrganizationInfo")]
public sealed record OrganizationInfo(Guid Id, string Name, DateTimeOffset CreatedAt);

/// <summary>One of a user's organizations with the user's role in it.</summary>
[GenerateSerializer, Immutable, Alias("chat.OrganizationMembership")]
public sealed record OrganizationMembership(Guid OrganizationId, string Name, Role Role);

/// <summary>An entry of an organization's directory.</summary>
[GenerateSerializer, Immutable, Alias("chat.OrganizationMember")]
public sealed record OrganizationMember(
    Guid UserId,
    string Username,
    string DisplayName,
    string? AvatarUrl,
    Role Role,
    DateTimeOffset JoinedAt);

/// <summary>The directory, optionally filtered.</summary>
[GenerateSerializer, Immutable, Alias("chat.OrganizationDirectory")]
public sealed record OrganizationDirectory(Guid OrganizationId, ImmutableArray<OrganizationMember> Members);
