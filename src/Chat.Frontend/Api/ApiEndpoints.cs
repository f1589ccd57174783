using System.Text.RegularExpressions;
using Chat.Frontend.Auth;
using Chat.Grains;

namespace Chat.Frontend.Api;

/// <summary>The REST API under <c>/api</c> (SPEC section 12). Unknown routes answer 404 NOT_FOUND.</summary>
internal static partial class ApiEndpoints
{
    public static IEndpointRouteBuilder MapChatApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");
        MapAuth(api);

        var secured = api.MapGroup("").RequireAuthorization();
        MapMe(secured);
        MapOrganizations(secured.MapGroup("/organizations"));
        ConversationEndpoints.Map(secured.MapGroup("/conversations"));
        MessageEndpoints.Map(secured.MapGroup("/conversations/{id:guid}/messages"));
        AttachmentEndpoints.Map(secured);

        // Lowest priority: matches only when no real /api route does (also for a known path with another method).
        endpoints.MapFallback("/api/{**rest}", (HttpContext context) =>
            // A JSON route refuses other content types by not matching; say what is wrong rather than "not found".
            context.Request.ContentLength > 0 && !context.Request.HasJsonContentType() && !context.Request.HasFormContentType
                ? ApiResults.Error(StatusCodes.Status400BadRequest, ChatErrorCodes.ValidationError,
                    "The request body must be JSON (Content-Type: application/json).", "Content-Type")
                : ApiResults.Error(StatusCodes.Status404NotFound, ChatErrorCodes.NotFound,
                    $"No API route matches {context.Request.Method} {context.Request.Path}."));
        return endpoints;
    }

    private static void MapAuth(RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth");
        auth.MapPost("/register", async (RegisterBody? body, IClusterClient cluster, TokenService tokens) =>
        {
            body = Required.Body(body);
            var username = Required.Text(body.Username, "username").Trim();
            if (!UsernamePattern().IsMatch(username))
            {
                throw ChatException.Validation("username", "A username has 3 to 50 letters, digits or underscores.");
            }

            var user = await cluster.GetGrain<IAccountGrain>(AccountKey.For(username))
                .Register(new RegisterRequest(username, body.Password ?? "", body.DisplayName, body.Email));
            var (token, expiresAt) = await tokens.IssueAsync(user.Id);
            return Results.Json(new AuthResponse(token, expiresAt, user), statusCode: StatusCodes.Status201Created);
        });

        auth.MapPost("/login", async (LoginBody? body, IClusterClient cluster, TokenService tokens) =>
        {
            body = Required.Body(body);
            var username = body.Username?.Trim() ?? "";
            if (!UsernamePattern().IsMatch(username) || string.IsNullOrEmpty(body.Password))
            {
                // Same answer as a wrong password: the caller learns nothing about which usernames exist.
                throw new ChatException(ChatErrorCodes.Unauthorized, "Invalid username or password.");
            }

            var user = await cluster.GetGrain<IAccountGrain>(AccountKey.For(username)).VerifyPassword(body.Password);
            var (token, expiresAt) = await tokens.IssueAsync(user.Id);
            return Results.Ok(new AuthResponse(token, expiresAt, user));
        });

        auth.MapPost("/logout", async (HttpContext context, TokenService tokens) =>
        {
            await tokens.RevokeAsync(context.User.SessionKey());
            return Results.NoContent();
        }).RequireAuthorization();
    }

    private static void MapMe(RouteGroupBuilder api)
    {
        api.MapGet("/me", async (HttpContext context, IClusterClient cluster) =>
        {
            var user = cluster.GetGrain<IUserGrain>(context.User.UserId());
            var profile = await user.GetProfile();
            return Results.Ok(MeResponse.Of(profile, await user.GetOrganizations()));
        });

        api.MapPatch("/me", async (UpdateMeBody? body, HttpContext context, IClusterClient cluster) =>
        {
            body = Required.Body(body);
            var user = cluster.GetGrain<IUserGrain>(context.User.UserId());
            var profile = await user.UpdateProfile(new UpdateProfileRequest(body.DisplayName, body.AvatarUrl));
            return Results.Ok(MeResponse.Of(profile, await user.GetOrganizations()));
        });
    }

    private static void MapOrganizations(RouteGroupBuilder organizations)
    {
        organizations.MapPost("", async (CreateOrganizationBody? body, HttpContext context, IClusterClient cluster) =>
        {
            body = Required.Body(body);
            var name = Required.Text(body.Name, "name");
            var id = Guid.NewGuid();
            var created = await cluster.GetGrain<IOrganizationGrain>(id).Create(context.User.UserId(), name);
            return Results.Created($"/api/organizations/{created.Id}", created);
        });

        organizations.MapGet("/{orgId:guid}/members", async (Guid orgId, string? query, HttpContext context, IClusterClient cluster) =>
            Results.Ok(await cluster.GetGrain<IOrganizationGrain>(orgId).GetMembers(context.User.UserId(), query)));

        organizations.MapPost("/{orgId:guid}/members", async (Guid orgId, AddMemberBody? body, HttpContext context, IClusterClient cluster) =>
        {
            body = Required.Body(body);
            var username = Required.Text(body.Username, "username");
            var role = body.Role is null ? Role.Member : Required.Role(body.Role);
            var member = await cluster.GetGrain<IOrganizationGrain>(orgId).AddMember(context.User.UserId(), username, role);
            return Results.Created($"/api/organizations/{orgId}/members/{member.UserId}", member);
        });

        organizations.MapDelete("/{orgId:guid}/members/{userId:guid}", async (Guid orgId, Guid userId, HttpContext context, IClusterClient cluster) =>
        {
            await cluster.GetGrain<IOrganizationGrain>(orgId).RemoveMember(context.User.UserId(), userId);
            return Results.NoContent();
        });
    }

    [GeneratedRegex("^[a-zA-Z0-9_]{3,50}$")]
    private static partial Regex UsernamePattern();
}
