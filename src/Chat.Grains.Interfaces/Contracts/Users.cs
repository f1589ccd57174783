namespace Chat.Grains;

/// <summary>A user's profile as the user sees it.</summary>
[GenerateSerializer, Immutable, Alias("chat.UserProfile")]
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

/// <summary>Who a message or participant is, as others see them.</summary>
[GenerateSerializer, Immutable, Alias("chat.UserSummary")]
public sealed record UserSummary(Guid Id, string DisplayName, string? AvatarUrl);

/// <summary>Registration input (SPEC <c>POST /api/auth/register</c>).</summary>
[GenerateSerializer, Immutable, Alias("chat.RegisterRequest")]
public sealed record RegisterRequest(string Username, string Password, string? DisplayName = null, string? Email = null);

/// <summary>Profile change (SPEC <c>PATCH /api/me</c>); null members stay unchanged, "" clears the avatar.</summary>
[GenerateSerializer, Immutable, Alias("chat.UpdateProfileRequest")]
public sealed record UpdateProfileRequest(string? DisplayName = null, string? AvatarUrl = null);

/// <summary>Where a user stands with the per-user send rate limit.</summary>
/// <param name="Limit">Messages allowed per window.</param>
/// <param name="Remaining">Messages still allowed now.</param>
/// <param name="ResetAt">When the oldest counted message leaves the window.</param>
[GenerateSerializer, Immutable, Alias("chat.RateLimitStatus")]
public sealed record RateLimitStatus(int Limit, int Remaining, DateTimeOffset ResetAt);
