using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Chat.Frontend.Api;
using Chat.Grains;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Chat.Frontend.Auth;

/// <summary>
/// Authenticates opaque bearer tokens (header <c>Authorization: Bearer</c>, or <c>access_token</c> in the
/// query string of hub requests, as SignalR clients send it) against the cluster's session grains, so
/// every frontend accepts every token and a logout anywhere revokes it everywhere.
/// </summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggers,
    UrlEncoder encoder,
    IClusterClient cluster,
    IOptions<JsonOptions> json) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    public const string SchemeName = "Bearer";

    /// <summary>Claim holding the session key (SHA-256 of the token), so logout and revocation find the session.</summary>
    public const string SessionClaim = "chat:session";

    private const int MaxTokenLength = 200;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = TokenOf(Request);
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        if (token.Length is 0 or > MaxTokenLength)
        {
            return AuthenticateResult.Fail("Malformed token.");
        }

        var key = SessionKey.For(token);
        var session = await cluster.GetGrain<ISessionGrain>(key).Validate();
        if (session is null)
        {
            return AuthenticateResult.Fail("Unknown, expired or revoked token.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, session.UserId.ToString()), new Claim(SessionClaim, key)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        Response.Headers.CacheControl = "no-store";
        var message = TokenOf(Request) is null ? "A bearer token is required." : "The bearer token is invalid, expired or revoked.";
        await Response.WriteAsJsonAsync(
            new ApiErrorResponse(new ApiError(ChatErrorCodes.Unauthorized, message)), json.Value.SerializerOptions, contentType: "application/json; charset=utf-8");
    }

    private static string? TokenOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        // Browsers cannot set headers on WebSockets and server-sent events, so SignalR clients put the token in the query.
        return request.Path.StartsWithSegments("/hubs") && request.Query.TryGetValue("access_token", out var query) ? query.ToString() : null;
    }
}

/// <summary>The authenticated caller, as the rest of the frontend sees it.</summary>
internal static class CallerExtensions
{
    /// <summary>The authenticated user's id (authorization guarantees there is one).</summary>
    public static Guid UserId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            ? id
            : throw new ChatException(ChatErrorCodes.Unauthorized, "Not authenticated.");

    /// <summary>The key of the caller's session.</summary>
    public static string SessionKey(this ClaimsPrincipal user) =>
        user.FindFirstValue(BearerTokenHandler.SessionClaim) ?? throw new ChatException(ChatErrorCodes.Unauthorized, "Not authenticated.");
}
