namespace Chat.Client;

/// <summary>Registration (<c>POST /api/auth/register</c>).</summary>
public sealed record RegisterRequest(string Username, string Password, string? DisplayName = null, string? Email = null);

/// <summary>Login (<c>POST /api/auth/login</c>).</summary>
public sealed record LoginRequest(string Username, string Password);

/// <summary>Answer of register and login: the bearer token, when it expires, and the user.</summary>
public sealed record AuthResponse(string Token, DateTimeOffset? ExpiresAt, UserProfile User);

/// <summary>A user's own profile.</summary>
public sealed record UserProfile(
    Guid Id,
    string Username,
    string DisplayName,
    string? Email,
    string? AvatarUrl,
    PresenceStatus Status,
    DateTimeOffset? LastSeenAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary><c>GET /api/me</c>: the profile and the user's organizations.</summary>
public sealed record MeResponse(
    Guid Id,
    string Username,
    string DisplayName,
    string? Email,
    string? AvatarUrl,
    PresenceStatus Status,
    DateTimeOffset? LastSeenAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<OrganizationMembership>? Organizations);

/// <summary>Profile change (<c>PATCH /api/me</c>); null members stay unchanged.</summary>
public sealed record UpdateProfileRequest(string? DisplayName = null, string? AvatarUrl = null);

/// <summary>Who a message's sender or a participant is, as others see them.</summary>
public sealed record UserSummary(Guid Id, string DisplayName, string? AvatarUrl);
