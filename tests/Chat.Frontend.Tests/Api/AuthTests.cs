using System.Net;
using Chat.Frontend.Tests.Infrastructure;

namespace Chat.Frontend.Tests.Api;

/// <summary>Register, login, logout and bearer tokens across frontends (SPEC section 2).</summary>
public sealed class AuthTests(ChatSystemFixture fixture) : IClassFixture<ChatSystemFixture>
{
    private FrontendHost One => fixture.System.Frontends[0];

    private FrontendHost Two => fixture.System.Frontends[1];

    [Fact]
    public async Task Register_answers_201_with_a_token_and_the_user_and_the_token_works_on_the_other_frontend()
    {
        using var anonymous = One.Client();
        var username = "reg_" + Guid.NewGuid().ToString("N")[..10];

        var body = (await anonymous.PostAsync("/api/auth/register", new { username, password = Scenario.Password, displayName = "Reggie", email = username + "@example.com" }))
            .Expect(HttpStatusCode.Created);

        var token = body.GetProperty("token").GetString()!;
        var user = body.GetProperty("user");
        Assert.Equal(username, user.GetProperty("username").GetString());
        Assert.Equal("Reggie", user.GetProperty("displayName").GetString());
        Assert.True(user.GetProperty("createdAt").GetString()!.EndsWith('Z'));
        Assert.False(body.ToString().Contains(Scenario.Password, StringComparison.Ordinal));
        using var other = Two.Client(token);
        var me = (await other.GetAsync("/api/me")).Expect(HttpStatusCode.OK);
        Assert.Equal(user.GetProperty("id").GetGuid(), me.GetProperty("id").GetGuid());
        Assert.Equal(0, me.GetProperty("organizations").GetArrayLength());
    }

    [Fact]
    public async Task Login_answers_a_new_token_and_wrong_passwords_or_unknown_users_answer_401_UNAUTHORIZED()
    {
        var ann = await One.RegisterAsync("ann");
        using var anonymous = Two.Client();

        var login = (await anonymous.PostAsync("/api/auth/login", new { username = ann.Username.ToUpperInvariant(), password = Scenario.Password })).Expect(HttpStatusCode.OK);
        (await anonymous.PostAsync("/api/auth/login", new { username = ann.Username, password = "wrong password" })).ExpectError(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        (await anonymous.PostAsync("/api/auth/login", new { username = "nobody_" + Guid.NewGuid().ToString("N")[..8], password = "whatever1" })).ExpectError(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        (await anonymous.PostAsync("/api/auth/login", new { username = "x y'; DROP TABLE users; --", password = "p" })).ExpectError(HttpStatusCode.Unauthorized, "UNAUTHORIZED");

        Assert.NotEqual(ann.Token, login.GetProperty("token").GetString());
        Assert.Equal(ann.Id, login.GetProperty("user").GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task Registration_validates_its_input_and_refuses_a_taken_username_with_409()
    {
        var ann = await One.RegisterAsync("ann");
        using var anonymous = One.Client();

        var invalid = (await anonymous.PostAsync("/api/auth/register", new { username = "a b", password = Scenario.Password })).ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var shortPassword = (await anonymous.PostAsync("/api/auth/register", new { username = "ok_" + Guid.NewGuid().ToString("N")[..8], password = "short" })).ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var missing = (await anonymous.PostAsync("/api/auth/register", new { password = Scenario.Password })).ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        (await anonymous.PostAsync("/api/auth/register", new { username = ann.Username.ToUpperInvariant(), password = Scenario.Password })).ExpectError(HttpStatusCode.Conflict, "CONFLICT");

        Assert.Equal("username", invalid.GetProperty("details").GetString());
        Assert.Equal("password", shortPassword.GetProperty("details").GetString());
        Assert.Equal("username", missing.GetProperty("details").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-real-token")]
    [InlineData("")]
    public async Task Protected_routes_answer_401_UNAUTHORIZED_in_the_error_shape_without_a_valid_token(string? token)
    {
        using var client = token is null ? One.Client() : One.Client(token);

        foreach (var (method, path) in new[] { ("GET", "/api/me"), ("GET", "/api/conversations"), ("POST", $"/api/conversations/{Guid.NewGuid()}/messages"), ("POST", "/api/auth/logout"), ("GET", "/api/search?q=x") })
        {
            var response = await client.SendAsync(new HttpMethod(method), path, method == "POST" ? new { clientMessageId = "1", content = "x" } : null);
            response.ExpectError(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }
    }

    [Fact]
    public async Task Logout_revokes_the_token_on_every_frontend_and_closes_its_hub_connections()
    {
        var ann = await One.RegisterAsync("ann");
        using var onOne = One.Client(ann);
        using var onTwo = Two.Client(ann);
        (await onTwo.GetAsync("/api/me")).Expect(HttpStatusCode.OK);
        await using var hub = await HubClient.ConnectAsync(Two, ann.Token);
        await hub.InvokeAsync("Resume", 0, 0);

        (await onOne.PostAsync("/api/auth/logout")).Expect(HttpStatusCode.NoContent);

        (await onOne.GetAsync("/api/me")).ExpectError(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        (await onTwo.GetAsync("/api/me")).ExpectError(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        await hub.Closed.WaitAsync(ChatSystem.Timeout);
        await Assert.ThrowsAnyAsync<Exception>(() => HubClient.ConnectAsync(One, ann.Token));
    }

    [Fact]
    public async Task The_hub_accepts_the_token_in_the_authorization_header_as_well_as_in_the_query()
    {
        var ann = await One.RegisterAsync("ann");

        await using var byHeader = await HubClient.ConnectAsync(One, ann.Token, tokenInQuery: false);
        await using var byQuery = await HubClient.ConnectAsync(Two, ann.Token, tokenInQuery: true);

        var header = await byHeader.InvokeAsync("Resume", 0, 0);
        var query = await byQuery.InvokeAsync("Resume", 0, 0);
        Assert.True(header.GetProperty("resync").GetBoolean());
        Assert.True(query.GetProperty("resync").GetBoolean());
    }
}
