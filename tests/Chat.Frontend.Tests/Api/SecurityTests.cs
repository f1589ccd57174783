using System.Net;
using System.Net.Http.Headers;
using Chat.Frontend.Tests.Infrastructure;

namespace Chat.Frontend.Tests.Api;

/// <summary>SPEC section 8 at the HTTP and hub level: each rule, attacked through the public interface.</summary>
public sealed class SecurityTests(ChatSystemFixture fixture) : IClassFixture<ChatSystemFixture>
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52];

    private FrontendHost One => fixture.System.Frontends[0];

    private FrontendHost Two => fixture.System.Frontends[1];

    [Fact]
    public async Task A_non_participant_gets_NOT_PARTICIPANT_on_read_send_receipts_and_attachments_over_rest_and_hub()
    {
        var ann = await One.RegisterAsync("ann");
        var ben = await One.RegisterAsync("ben");
        var eve = await One.RegisterAsync("eve");
        await One.OrganizationAsync(ann, ben, eve);
        var dm = await One.DirectAsync(ann, ben);
        using var annApi = One.Client(ann);
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Png);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "file", "p.png");
        var attachmentId = (await annApi.PostAsync("/api/attachments", form)).Expect(HttpStatusCode.Created).GetProperty("id").GetGuid();
        var message = (await annApi.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "s-1", content = "secret", attachmentIds = new[] { attachmentId } })).Expect(HttpStatusCode.Created);
        var messageId = message.GetProperty("id").GetGuid();
        using var eveApi = Two.Client(eve);
        await using var eveHub = await HubClient.ConnectAsync(Two, eve.Token);

        (await eveApi.GetAsync($"/api/conversations/{dm}/messages")).ExpectError(HttpStatusCode.Forbidden, "NOT_PARTICIPANT");
        (await eveApi.GetAsync($"/api/conversations/{dm}")).ExpectError(HttpStatusCode.Forbidden, "NOT_PARTICIPANT");
        (await eveApi.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "x", content = "let me in" })).ExpectError(HttpStatusCode.Forbidden, "NOT_PARTICIPANT");
        (await eveApi.GetAsync($"/api/conversations/{dm}/messages/{messageId}/receipts")).ExpectError(HttpStatusCode.Forbidden, "NOT_PARTICIPANT");
        (await eveApi.GetAsync($"/api/attachments/{attachmentId}")).ExpectError(HttpStatusCode.Forbidden, "NOT_PARTICIPANT");
        (await eveApi.PostAsync($"/api/conversations/{dm}/read", new { seq = 1 })).ExpectError(HttpStatusCode.Forbidden, "NOT_PARTICIPANT");
        await eveHub.InvokeFailingAsync("NOT_PARTICIPANT", "SendMessage", dm.ToString(), new { clientMessageId = "h", content = "let me in" });
        await eveHub.InvokeFailingAsync("NOT_PARTICIPANT", "AddReaction", dm.ToString(), messageId.ToString(), "x");
        await eveHub.InvokeFailingAsync("NOT_PARTICIPANT", "MarkRead", dm.ToString(), 1);
        var search = (await eveApi.GetAsync("/api/search?q=secret")).Expect(HttpStatusCode.OK);
        Assert.Equal(0, search.GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public async Task A_crafted_send_naming_another_sender_is_sent_as_the_authenticated_user()
    {
        var ann = await One.RegisterAsync("ann");
        var ben = await One.RegisterAsync("ben");
        await One.OrganizationAsync(ann, ben);
        var dm = await One.DirectAsync(ann, ben);
        await using var benHub = await HubClient.ConnectAsync(One, ben.Token);
        using var benApi = Two.Client(ben);

        var viaHub = await benHub.InvokeAsync("SendMessage", dm.ToString(), new { clientMessageId = "spoof-1", content = "I am ann", senderId = ann.Id, sender = new { id = ann.Id } });
        var viaRest = (await benApi.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "spoof-2", content = "me too", senderId = ann.Id, userId = ann.Id })).Expect(HttpStatusCode.Created);
        var annEdit = await benHub.InvokeFailingAsync("FORBIDDEN", "EditMessage", dm.ToString(), (await One.SendAsync(dm, ann, "ann's own")).GetProperty("id").GetString(), "hijacked");

        Assert.Equal(ben.Id, viaHub.GetProperty("senderId").GetGuid());
        Assert.Equal(ben.Id, viaRest.GetProperty("senderId").GetGuid());
        Assert.Equal("FORBIDDEN", annEdit.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_user_of_another_organization_cannot_create_read_or_write_anything_there()
    {
        var ann = await One.RegisterAsync("ann");
        var ben = await One.RegisterAsync("ben");
        var cat = await One.RegisterAsync("cat");
        var mallory = await One.RegisterAsync("mal");
        var org = await One.OrganizationAsync(ann, ben, cat);
        await One.OrganizationAsync(mallory);
        var group = await One.GroupAsync(org, ann, "Internal", ben, cat);
        using var api = Two.Client(mallory);

        (await api.PostAsync("/api/conversations/group", new { organizationId = org, name = "Intrusion", participantIds = new[] { ann.Id, ben.Id } })).ExpectError(HttpStatusCode.Forbidden, "FORBIDDEN");
        (await api.PostAsync("/api/conversations/direct", new { userId = ann.Id })).ExpectError(HttpStatusCode.Forbidden, "FORBIDDEN");
        (await api.GetAsync($"/api/organizations/{org}/members")).ExpectError(HttpStatusCode.Forbidden, "FORBIDDEN");
        (await api.PostAsync($"/api/organizations/{org}/members", new { username = mallory.Username })).ExpectError(HttpStatusCode.Forbidden, "FORBIDDEN");
        (await api.GetAsync($"/api/conversations/{group}/messages")).ExpectError(HttpStatusCode.Forbidden, "NOT_PARTICIPANT");
        (await api.PostAsync($"/api/conversations/{group}/participants", new { userIds = new[] { mallory.Id } })).ExpectError(HttpStatusCode.Forbidden, "NOT_PARTICIPANT");
        (await One.Client(ann).PostAsync($"/api/conversations/{group}/participants", new { userIds = new[] { mallory.Id } })).ExpectError(HttpStatusCode.Forbidden, "FORBIDDEN");
    }

    [Fact]
    public async Task Only_the_sender_edits_only_managers_manage_and_only_the_owner_deletes_and_nobody_changes_anothers_settings()
    {
        var ann = await One.RegisterAsync("ann");
        var ben = await One.RegisterAsync("ben");
        var cat = await One.RegisterAsync("cat");
        var org = await One.OrganizationAsync(ann, ben, cat);
        var group = await One.GroupAsync(org, ann, "Rules", ben, cat);
        var annMessage = (await One.SendAsync(group, ann, "mine")).GetProperty("id").GetGuid();
        using var benApi = Two.Client(ben);

        (await benApi.PatchAsync($"/api/conversations/{group}/messages/{annMessage}", new { content = "edited" })).ExpectError(HttpStatusCode.Forbidden, "FORBIDDEN");
        (await benApi.DeleteAsync($"/api/conversations/{group}/messages/{annMessage}")).ExpectError(HttpStatusCode.Forbidden, "FORBIDDEN");
        (await benApi.DeleteAsync($"/api/conversations/{group}/participants/{cat.Id}")).ExpectError(HttpStatusCode.Forbidden, "FORBIDDEN");
        (await benApi.PatchAsync($"/api/conversations/{group}/participants/{ben.Id}", new { role = "owner" })).ExpectError(HttpStatusCode.Forbidden, "FORBIDDEN");
        (await benApi.DeleteAsync($"/api/conversations/{group}")).ExpectError(HttpStatusCode.Forbidden, "FORBIDDEN");
        (await benApi.PatchAsync($"/api/conversations/{group}", new { name = "Mine now" })).ExpectError(HttpStatusCode.Forbidden, "FORBIDDEN");
        (await benApi.PutAsync($"/api/conversations/{group}/settings", new { isStarred = true, userId = ann.Id })).Expect(HttpStatusCode.OK);
        var annView = (await One.Client(ann).GetAsync($"/api/conversations/{group}")).Expect(HttpStatusCode.OK);
        Assert.False(annView.GetProperty("me").GetProperty("isStarred").GetBoolean());
    }

    [Fact]
    public async Task Hostile_strings_are_stored_and_searched_as_plain_text()
    {
        var ann = await One.RegisterAsync("ann");
        var ben = await One.RegisterAsync("ben");
        await One.OrganizationAsync(ann, ben);
        var dm = await One.DirectAsync(ann, ben);
        const string hostile = "<script>alert('x')</script> '; DROP TABLE messages; -- \\u0000";

        var sent = await One.SendAsync(dm, ann, hostile);
        var search = (await One.Client(ben).GetAsync("/api/search?q=" + Uri.EscapeDataString("'; DROP TABLE messages; --"))).Expect(HttpStatusCode.OK);
        var page = (await One.Client(ben).GetAsync($"/api/conversations/{dm}/messages")).Expect(HttpStatusCode.OK);

        Assert.Equal(hostile, sent.GetProperty("content").GetString());
        Assert.Equal(hostile, page.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.True(search.GetProperty("messages").GetArrayLength() <= 1);
    }
}

/// <summary>A cluster with the SPEC's default limit lowered to 5 messages per minute.</summary>
public sealed class RateLimitFixture : ChatSystemFixture
{
    protected override IReadOnlyDictionary<string, string?>? Overrides => new Dictionary<string, string?> { ["Chat:Limits:MessagesPerMinute"] = "5" };
}

/// <summary>SPEC section 8 rule 8: the rate limit holds across transports and frontends.</summary>
public sealed class RateLimitTests(RateLimitFixture fixture) : IClassFixture<RateLimitFixture>
{
    [Fact]
    public async Task The_rate_limit_cannot_be_bypassed_by_switching_between_rest_and_hub_or_frontends()
    {
        var one = fixture.System.Frontends[0];
        var two = fixture.System.Frontends[1];
        var ann = await one.RegisterAsync("ann");
        var ben = await one.RegisterAsync("ben");
        await one.OrganizationAsync(ann, ben);
        var dm = await one.DirectAsync(ann, ben);
        using var restOne = one.Client(ann);
        using var restTwo = two.Client(ann);
        await using var hubOne = await HubClient.ConnectAsync(one, ann.Token);
        await using var hubTwo = await HubClient.ConnectAsync(two, ann.Token);

        var first = await restOne.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "r-1", content = "1" });
        await hubOne.InvokeAsync("SendMessage", dm.ToString(), new { clientMessageId = "r-2", content = "2" });
        (await restTwo.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "r-3", content = "3" })).Expect(HttpStatusCode.Created);
        await hubTwo.InvokeAsync("SendMessage", dm.ToString(), new { clientMessageId = "r-4", content = "4" });
        (await restOne.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "r-5", content = "5" })).Expect(HttpStatusCode.Created);
        var limited = await restTwo.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "r-6", content = "6" });
        var hubError = await hubOne.InvokeFailingAsync("RATE_LIMITED", "SendMessage", dm.ToString(), new { clientMessageId = "r-7", content = "7" });
        var retry = await restOne.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "r-1", content = "1" });

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(("5", "4"), (first.Header("X-RateLimit-Limit"), first.Header("X-RateLimit-Remaining")));
        var error = limited.ExpectError(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        Assert.True(error.GetProperty("retryAfter").GetInt32() > 0);
        Assert.Equal(error.GetProperty("retryAfter").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), limited.Header("Retry-After"));
        Assert.Equal(("5", "0"), (limited.Header("X-RateLimit-Limit"), limited.Header("X-RateLimit-Remaining")));
        Assert.NotNull(limited.Header("X-RateLimit-Reset"));
        Assert.True(hubError.GetProperty("retryAfter").GetInt32() > 0);
        Assert.Equal(HttpStatusCode.OK, retry.Status); // an idempotent retry is not a new message
    }
}
