using System.Net;
using Chat.Frontend.Api;
using Chat.Frontend.Tests.Infrastructure;

namespace Chat.Frontend.Tests.Api;

/// <summary>The SPEC section 7 error object on every failure class.</summary>
public sealed class ErrorTests(ChatSystemFixture fixture) : IClassFixture<ChatSystemFixture>
{
    private FrontendHost One => fixture.System.Frontends[0];

    [Fact]
    public async Task Malformed_json_wrong_types_missing_bodies_and_bad_query_values_answer_400_VALIDATION_ERROR()
    {
        var ann = await One.RegisterAsync("ann");
        using var api = One.Client(ann);

        (await api.PostAsync("/api/organizations", "{not json")).ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var wrongType = (await api.PostAsync("/api/conversations/direct", "{\"userId\": \"not-a-uuid\"}")).ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        (await api.PostAsync("/api/organizations")).ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var missing = (await api.PostAsync("/api/conversations/direct", new { })).ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var badQuery = (await api.GetAsync($"/api/conversations/{Guid.NewGuid()}/messages?before=abc")).ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        (await api.PostAsync($"/api/conversations/{Guid.NewGuid()}/read", "[1,2")).ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        (await api.SendAsync(HttpMethod.Post, "/api/organizations", new StringContent("name=x", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded")))
            .ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        Assert.Equal("userId", wrongType.GetProperty("details").GetString());
        Assert.Equal("userId", missing.GetProperty("details").GetString());
        Assert.Equal("before", badQuery.GetProperty("details").GetString());
    }

    [Theory]
    [InlineData("GET", "/api/nothing-here")]
    [InlineData("POST", "/api/conversations/00000000-0000-0000-0000-000000000000/nothing")]
    [InlineData("PUT", "/api/me")]
    [InlineData("GET", "/api/conversations/not-a-uuid")]
    [InlineData("GET", "/api")]
    public async Task Unknown_api_routes_and_methods_answer_404_NOT_FOUND(string method, string path)
    {
        var ann = await One.RegisterAsync("ann");
        using var api = One.Client(ann);

        (await api.SendAsync(new HttpMethod(method), path)).ExpectError(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Bodies_over_the_configured_maximum_answer_413_PAYLOAD_TOO_LARGE()
    {
        var ann = await One.RegisterAsync("ann");
        using var api = One.Client(ann);
        var huge = "{\"name\":\"" + new string('x', 2 * 1024 * 1024) + "\"}";

        // Expect: 100-continue lets the server refuse before the client writes the body; without it
        // the client may still be writing when the server answers and closes, and see a reset.
        using var sized = new StringContent(huge, System.Text.Encoding.UTF8, "application/json");
        using var sizedRequest = new HttpRequestMessage(HttpMethod.Post, "api/organizations") { Content = sized };
        sizedRequest.Headers.ExpectContinue = true;
        (await api.SendAsync(sizedRequest)).ExpectError(HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        using var chunked = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/organizations") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ExpectContinue = true;
        var response = await api.SendAsync(request);
        Assert.True(response.Status == HttpStatusCode.RequestEntityTooLarge, response.Text + string.Join("\n", One.Logs.Entries));
        response.ExpectError(HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
    }

    [Fact]
    public async Task Domain_errors_keep_their_code_and_status()
    {
        var ann = await One.RegisterAsync("ann");
        var ben = await One.RegisterAsync("ben");
        await One.OrganizationAsync(ann, ben);
        var dm = await One.DirectAsync(ann, ben);
        using var api = One.Client(ann);

        (await api.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "e-1", content = "   " })).ExpectError(HttpStatusCode.BadRequest, "EMPTY_MESSAGE");
        (await api.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "e-2", content = new string('x', 4001) })).ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        (await api.PostAsync("/api/conversations/direct", new { userId = ann.Id })).ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        (await api.GetAsync($"/api/conversations/{Guid.NewGuid()}")).ExpectError(HttpStatusCode.NotFound, "NOT_FOUND");
        (await api.GetAsync($"/api/conversations/{dm}/messages?limit=101")).ExpectError(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public void Unexpected_failures_map_to_500_INTERNAL_ERROR_without_details_and_cluster_failures_to_503_UNAVAILABLE()
    {
        var bug = ErrorMapper.From(new InvalidOperationException("SELECT password_hash FROM users -- at Chat.Secret()"));
        var down = ErrorMapper.From(new SiloUnavailableException("silo 127.0.0.1:1 is dead"));
        var slow = ErrorMapper.From(new TimeoutException("timed out"));

        Assert.Equal((500, "INTERNAL_ERROR"), (bug.Status, bug.Error.Code));
        Assert.DoesNotContain("SELECT", bug.Error.Message, StringComparison.Ordinal);
        Assert.Null(bug.Error.Details);
        Assert.Equal((503, "UNAVAILABLE"), (down.Status, down.Error.Code));
        Assert.Equal((503, "UNAVAILABLE"), (slow.Status, slow.Error.Code));
        Assert.DoesNotContain("127.0.0.1", down.Error.Message, StringComparison.Ordinal);
    }
}

/// <summary>A frontend whose cluster has no silo: requests fail with 503 UNAVAILABLE, readiness is 503.</summary>
public sealed class UnavailableClusterTests(ChatSystemFixture fixture) : IClassFixture<ChatSystemFixture>
{
    [Fact]
    public async Task Without_an_active_silo_requests_answer_503_UNAVAILABLE_and_readiness_fails()
    {
        var frontend = fixture.System.Frontends[0];
        var ann = await frontend.RegisterAsync("ann");
        foreach (var silo in fixture.System.Silos.ToList())
        {
            await fixture.System.StopSiloAsync(silo);
        }

        using var api = frontend.Client(ann);
        using var anonymous = frontend.Client();
        await Eventually.TrueAsync(async () => (await anonymous.GetAsync("/health/ready")).Status == HttpStatusCode.ServiceUnavailable, "readiness to fail");
        var response = await anonymous.PostAsync("/api/auth/login", new { username = ann.Username, password = Scenario.Password });

        var error = response.ExpectError(HttpStatusCode.ServiceUnavailable, "UNAVAILABLE");
        Assert.Equal("1", response.Header("Retry-After"));
        Assert.Equal(1, error.GetProperty("retryAfter").GetInt32());
    }
}
