using System.Security.Claims;
using Chat.Client;

namespace Chat.SignalRBaseline;

/// <summary>
/// Builds the baseline server: bearer tokens checked against a dictionary, the REST calls the load
/// tester provisions with, and the hub. Organizations are not kept: creating one answers a new id,
/// adding a member only checks that the user exists.
/// </summary>
public static class BaselineServer
{
    /// <summary>The server, not started; <c>--urls</c> picks the address (port 0 in tests).</summary>
    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        // Like ./chat up --profile load: only warnings and errors are logged.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<BaselineState>();
        builder.Services.AddSignalR();
        var app = builder.Build();
        var state = app.Services.GetRequiredService<BaselineState>();

        app.Use((http, next) => AuthenticateAsync(http, next, state));

        app.MapPost("/api/auth/register", (RegisterRequest body) =>
            string.IsNullOrWhiteSpace(body.Username) || string.IsNullOrEmpty(body.Password)
                ? Error(StatusCodes.Status400BadRequest, ChatErrorCodes.ValidationError, "username and password are required.")
                : state.Register(body.Username, body.Password) is { } user
                    ? Results.Json(Auth(user), statusCode: StatusCodes.Status201Created)
                    : Error(StatusCodes.Status409Conflict, ChatErrorCodes.Conflict, "The username is taken."));

        app.MapPost("/api/auth/login", (LoginRequest body) => state.Login(body.Username, body.Password) is { } user
            ? Results.Json(Auth(user))
            : Error(StatusCodes.Status401Unauthorized, ChatErrorCodes.Unauthorized, "Wrong username or password."));

        app.MapGet("/api/me", (HttpContext http) =>
        {
            var me = Caller(http);
            return Results.Json(new MeResponse(me.Id, me.Username, me.Username, null, null, PresenceStatus.Online, null, me.CreatedAt, me.CreatedAt, []));
        });

        app.MapPost("/api/organizations", (CreateOrganizationRequest body) =>
            Results.Json(new OrganizationInfo(Guid.NewGuid(), body.Name, DateTimeOffset.UtcNow), statusCode: StatusCodes.Status201Created));

        app.MapPost("/api/organizations/{organizationId:guid}/members", (Guid organizationId, AddMemberRequest body) =>
            state.ByName(body.Username) is { } user
                ? Results.Json(new OrganizationMember(user.Id, user.Username, user.Username, null, body.Role ?? Role.Member, DateTimeOffset.UtcNow), statusCode: StatusCodes.Status201Created)
                : Error(StatusCodes.Status404NotFound, ChatErrorCodes.NotFound, "No such user."));

        app.MapPost("/api/conversations/direct", (HttpContext http, OpenDirectRequest body) =>
        {
            var me = Caller(http);
            if (state.ById(body.UserId) is not { } other || other == me)
            {
                return Error(StatusCodes.Status404NotFound, ChatErrorCodes.NotFound, "No such user (or yourself).");
            }

            var (conversation, created) = state.OpenDirect(me, other, body.OrganizationId ?? Guid.Empty);
            return Results.Json(conversation.Details(), statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        });

        app.MapPost("/api/conversations/group", (HttpContext http, CreateGroupRequest body) =>
        {
            var me = Caller(http);
            var others = body.ParticipantIds.Distinct().Where(id => id != me.Id).Select(state.ById).ToArray();
            if (others.Any(u => u is null) || others.Length < 2)
            {
                return Error(StatusCodes.Status400BadRequest, ChatErrorCodes.ValidationError, "A group needs at least two other existing users.", "participantIds");
            }

            var conversation = state.CreateGroup(body.OrganizationId, body.Name, [me, .. others!]);
            return Results.Json(conversation.Details(), statusCode: StatusCodes.Status201Created);
        });

        // A client's catch-up after a resync (?after=seq&limit=n); only the newest 100 messages are kept.
        app.MapGet("/api/conversations/{conversationId:guid}/messages", (HttpContext http, Guid conversationId, long? after, int? limit) =>
        {
            if (state.Conversation(conversationId) is not { } conversation || !conversation.Has(Caller(http)))
            {
                return Error(StatusCodes.Status404NotFound, ChatErrorCodes.NotFound, "No such conversation.");
            }

            lock (conversation.Gate)
            {
                return Results.Json(conversation.Page(after, Math.Clamp(limit ?? 50, 1, 100)));
            }
        });

        app.MapHub<BaselineHub>("/hubs/chat");
        return app;
    }

    /// <summary>
    /// Everything but register and login needs a token: the <c>Authorization</c> header, or
    /// <c>access_token</c> in the query (WebSockets). The user becomes the request's principal, so that
    /// the hub knows it too.
    /// </summary>
    private static Task AuthenticateAsync(HttpContext http, RequestDelegate next, BaselineState state)
    {
        if (http.Request.Path.StartsWithSegments("/api/auth"))
        {
            return next(http);
        }

        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..] : http.Request.Query["access_token"].ToString();
        if (state.ByToken(token) is not { } user)
        {
            return Error(StatusCodes.Status401Unauthorized, ChatErrorCodes.Unauthorized, "A valid bearer token is required.").ExecuteAsync(http);
        }

        http.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user.Id.ToString())], "Bearer"));
        http.Items[typeof(BaselineUser)] = user;
        return next(http);
    }

    private static BaselineUser Caller(HttpContext http) => (BaselineUser)http.Items[typeof(BaselineUser)]!;

    private static AuthResponse Auth(BaselineUser user) => new(user.Token, null, user.Profile);

    /// <summary>The SPEC section 7 error shape: <c>{"error": {code, message, details?}}</c>.</summary>
    private static IResult Error(int status, string code, string message, string? field = null) =>
        Results.Json(
            new ChatErrorEnvelope(new ChatError(code, message, field is null ? null : System.Text.Json.JsonSerializer.SerializeToElement(field))),
            ChatJson.Options,
            statusCode: status);
}
