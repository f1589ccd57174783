using System.Collections.Immutable;
using Chat.Grains;

namespace Chat.Frontend.Api;

// Request bodies of the REST API (SPEC section 12). Every member is optional at the JSON level so that a
// missing field becomes a VALIDATION_ERROR naming it rather than a framework error; none names a sender.

/// <summary><c>POST /api/auth/register</c>.</summary>
public sealed record RegisterBody(string? Username, string? Password, string? DisplayName, string? Email)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<RegisterBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<RegisterBody>(context);
}

/// <summary><c>POST /api/auth/login</c>.</summary>
public sealed record LoginBody(string? Username, string? Password)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<LoginBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<LoginBody>(context);
}

/// <summary><c>PATCH /api/me</c>.</summary>
public sealed record UpdateMeBody(string? DisplayName, string? AvatarUrl)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<UpdateMeBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<UpdateMeBody>(context);
}

/// <summary><c>POST /api/organizations</c>.</summary>
public sealed record CreateOrganizationBody(string? Name)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<CreateOrganizationBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<CreateOrganizationBody>(context);
}

/// <summary><c>POST /api/organizations/{orgId}/members</c>.</summary>
public sealed record AddMemberBody(string? Username, string? Role)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<AddMemberBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<AddMemberBody>(context);
}

/// <summary><c>POST /api/conversations/direct</c>; <see cref="OrganizationId"/> picks the organization when the pair shares several.</summary>
public sealed record OpenDirectBody(Guid? UserId, Guid? OrganizationId)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<OpenDirectBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<OpenDirectBody>(context);
}

/// <summary><c>POST /api/conversations/group</c>.</summary>
public sealed record CreateGroupBody(Guid? OrganizationId, string? Name, Guid[]? ParticipantIds, string? Description)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<CreateGroupBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<CreateGroupBody>(context);
}

/// <summary><c>PATCH /api/conversations/{id}</c>.</summary>
public sealed record UpdateConversationBody(string? Name, string? Description)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<UpdateConversationBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<UpdateConversationBody>(context);
}

/// <summary><c>POST /api/conversations/{id}/participants</c>.</summary>
public sealed record AddParticipantsBody(Guid[]? UserIds)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<AddParticipantsBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<AddParticipantsBody>(context);
}

/// <summary><c>PATCH /api/conversations/{id}/participants/{userId}</c>.</summary>
public sealed record SetRoleBody(string? Role)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<SetRoleBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<SetRoleBody>(context);
}

/// <summary><c>PUT /api/conversations/{id}/settings</c>.</summary>
public sealed record SettingsBody(bool? IsStarred, bool? IsMuted)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<SettingsBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<SettingsBody>(context);
}

/// <summary><c>POST /api/conversations/{id}/read</c>; no seq means the latest.</summary>
public sealed record ReadBody(long? Seq)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<ReadBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<ReadBody>(context);
}

/// <summary><c>POST /api/conversations/{id}/messages</c> (also the hub's <c>SendMessage</c> argument).</summary>
public sealed record SendMessageBody(string? ClientMessageId, string? Content, Guid[]? AttachmentIds, Guid? ReplyToId)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<SendMessageBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<SendMessageBody>(context);


    /// <summary>The domain request; the sender is added by the caller from the authenticated user.</summary>
    public SendMessageRequest ToRequest() => new(
        Required.Text(ClientMessageId, "clientMessageId"),
        Content,
        AttachmentIds is null ? [] : [.. AttachmentIds],
        ReplyToId);
}

/// <summary><c>PATCH /api/conversations/{id}/messages/{messageId}</c>.</summary>
public sealed record EditMessageBody(string? Content)
{
    /// <summary>Reads the body as JSON (none: null); binding here keeps any content type routable, so errors are ours.</summary>
    public static ValueTask<EditMessageBody?> BindAsync(HttpContext context) => ApiJson.BindAsync<EditMessageBody>(context);
}

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
    ImmutableArray<OrganizationMembership> Organizations)
{
    public static MeResponse Of(UserProfile p, ImmutableArray<OrganizationMembership> organizations) =>
        new(p.Id, p.Username, p.DisplayName, p.Email, p.AvatarUrl, p.Status, p.LastSeenAt, p.CreatedAt, p.UpdatedAt, organizations);
}

/// <summary>Register and login answer: the bearer token (shown once) and the user.</summary>
public sealed record AuthResponse(string Token, DateTimeOffset ExpiresAt, UserProfile User);

/// <summary>Checks of required request members, failing with VALIDATION_ERROR naming the field.</summary>
internal static class Required
{
    public static T Value<T>(T? value, string field)
        where T : struct =>
        value ?? throw ChatException.Validation(field, $"{field} is required.");

    public static string Text(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw ChatException.Validation(field, $"{field} is required.") : value;

    public static T Body<T>(T? body)
        where T : class =>
        body ?? throw ChatException.Validation("body", "A JSON body is required.");

    public static Role Role(string? text, string field = "role") =>
        EnumText.ParseRole(text?.Trim().ToLowerInvariant()) ?? throw ChatException.Validation(field, $"{field} is owner, admin or member.");
}
