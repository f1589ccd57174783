using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Chat.Frontend.Tests.Infrastructure;

namespace Chat.Frontend.Tests.Api;

/// <summary>Every route of SPEC section 12 with its status codes and JSON shapes, through a real Kestrel server.</summary>
public sealed class RestApiTests(ChatSystemFixture fixture) : IClassFixture<ChatSystemFixture>
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52];

    private FrontendHost One => fixture.System.Frontends[0];

    private FrontendHost Two => fixture.System.Frontends[1];

    private static void HasProperties(JsonElement element, params string[] names)
    {
        foreach (var name in names)
        {
            Assert.True(element.TryGetProperty(name, out _), $"'{name}' missing in {element}");
        }
    }

    [Fact]
    public async Task Profile_and_organization_routes_answer_as_specified()
    {
        var ann = await One.RegisterAsync("ann");
        var ben = await One.RegisterAsync("ben");
        using var api = One.Client(ann);

        var patched = (await api.PatchAsync("/api/me", new { displayName = "Ann A.", avatarUrl = "https://example.com/a.png" })).Expect(HttpStatusCode.OK);
        var org = (await api.PostAsync("/api/organizations", new { name = "Acme" })).Expect(HttpStatusCode.Created);
        var orgId = org.GetProperty("id").GetGuid();
        var member = (await api.PostAsync($"/api/organizations/{orgId}/members", new { username = ben.Username, role = "admin" })).Expect(HttpStatusCode.Created);
        var directory = (await api.GetAsync($"/api/organizations/{orgId}/members")).Expect(HttpStatusCode.OK);
        var filtered = (await api.GetAsync($"/api/organizations/{orgId}/members?query={ben.Username[..6]}")).Expect(HttpStatusCode.OK);
        var me = (await api.GetAsync("/api/me")).Expect(HttpStatusCode.OK);
        (await api.DeleteAsync($"/api/organizations/{orgId}/members/{ben.Id}")).Expect(HttpStatusCode.NoContent);
        var after = (await api.GetAsync($"/api/organizations/{orgId}/members")).Expect(HttpStatusCode.OK);

        Assert.Equal("Ann A.", patched.GetProperty("displayName").GetString());
        HasProperties(org, "id", "name", "createdAt");
        HasProperties(member, "userId", "username", "displayName", "avatarUrl", "role", "joinedAt");
        Assert.Equal("admin", member.GetProperty("role").GetString());
        Assert.Equal(2, directory.GetProperty("members").GetArrayLength());
        Assert.Contains(filtered.GetProperty("members").EnumerateArray(), m => m.GetProperty("userId").GetGuid() == ben.Id);
        HasProperties(me, "id", "username", "displayName", "email", "avatarUrl", "status", "lastSeenAt", "createdAt", "updatedAt", "organizations");
        var membership = Assert.Single(me.GetProperty("organizations").EnumerateArray());
        Assert.Equal(("Acme", "owner"), (membership.GetProperty("name").GetString(), membership.GetProperty("role").GetString()));
        Assert.Equal(1, after.GetProperty("members").GetArrayLength());
    }

    [Fact]
    public async Task Conversation_routes_answer_as_specified()
    {
        var ann = await One.RegisterAsync("ann");
        var ben = await One.RegisterAsync("ben");
        var cat = await One.RegisterAsync("cat");
        var dan = await One.RegisterAsync("dan");
        var orgId = await One.OrganizationAsync(ann, ben, cat, dan);
        using var api = One.Client(ann);
        using var benApi = Two.Client(ben);

        var dmNew = await api.PostAsync("/api/conversations/direct", new { userId = ben.Id });
        var dmAgain = await benApi.PostAsync("/api/conversations/direct", new { userId = ann.Id });
        var group = (await api.PostAsync("/api/conversations/group", new { organizationId = orgId, name = "  Team  ", participantIds = new[] { ben.Id, cat.Id } })).Expect(HttpStatusCode.Created);
        var groupId = group.GetProperty("id").GetGuid();
        var details = (await benApi.GetAsync($"/api/conversations/{groupId}")).Expect(HttpStatusCode.OK);
        var renamed = (await api.PatchAsync($"/api/conversations/{groupId}", new { name = "Team 2", description = "about" })).Expect(HttpStatusCode.OK);
        var added = (await api.PostAsync($"/api/conversations/{groupId}/participants", new { userIds = new[] { dan.Id } })).Expect(HttpStatusCode.OK);
        var promoted = (await api.PatchAsync($"/api/conversations/{groupId}/participants/{ben.Id}", new { role = "admin" })).Expect(HttpStatusCode.OK);
        var settings = (await api.PutAsync($"/api/conversations/{groupId}/settings", new { isStarred = true, isMuted = true })).Expect(HttpStatusCode.OK);
        (await benApi.DeleteAsync($"/api/conversations/{groupId}/participants/{dan.Id}")).Expect(HttpStatusCode.NoContent);
        (await One.Client(cat).DeleteAsync($"/api/conversations/{groupId}/participants/{cat.Id}")).Expect(HttpStatusCode.NoContent);
        await One.SendAsync(groupId, ben, "unread for ann");
        JsonElement inbox = default;
        await Eventually.TrueAsync(async () => (inbox = (await api.GetAsync("/api/conversations")).Expect(HttpStatusCode.OK)).GetProperty("totalUnread").GetInt32() >= 1, "the unread message in ann's inbox");
        var read = (await api.PostAsync($"/api/conversations/{groupId}/read", new { })).Expect(HttpStatusCode.OK);
        var readNoBody = (await api.PostAsync($"/api/conversations/{groupId}/read")).Expect(HttpStatusCode.OK);
        (await api.DeleteAsync($"/api/conversations/{groupId}")).Expect(HttpStatusCode.NoContent);

        Assert.Equal(HttpStatusCode.Created, dmNew.Status);
        Assert.Equal(HttpStatusCode.OK, dmAgain.Status);
        Assert.Equal(dmNew.Json.GetProperty("id").GetGuid(), dmAgain.Json.GetProperty("id").GetGuid());
        Assert.Equal("direct", dmNew.Json.GetProperty("type").GetString());
        HasProperties(group, "id", "type", "organizationId", "name", "description", "createdBy", "createdAt", "updatedAt", "lastSeq", "participants", "me");
        Assert.Equal(("group", "Team"), (group.GetProperty("type").GetString(), group.GetProperty("name").GetString()));
        Assert.Equal(3, details.GetProperty("participants").GetArrayLength());
        HasProperties(details.GetProperty("participants")[0], "userId", "displayName", "avatarUrl", "role", "joinedAt");
        Assert.Equal(("Team 2", "about"), (renamed.GetProperty("name").GetString(), renamed.GetProperty("description").GetString()));
        Assert.Equal(4, added.GetProperty("participants").GetArrayLength());
        Assert.Contains(promoted.GetProperty("participants").EnumerateArray(), p => p.GetProperty("userId").GetGuid() == ben.Id && p.GetProperty("role").GetString() == "admin");
        Assert.Equal((true, true), (settings.GetProperty("isStarred").GetBoolean(), settings.GetProperty("isMuted").GetBoolean()));
        HasProperties(inbox, "conversations", "totalUnread", "unreadConversations");
        var entry = inbox.GetProperty("conversations").EnumerateArray().First(c => c.GetProperty("conversationId").GetGuid() == groupId);
        HasProperties(entry, "type", "name", "displayName", "participants", "participantCount", "lastMessage", "unreadCount", "isStarred", "isMuted");
        Assert.Equal(groupId, inbox.GetProperty("conversations")[0].GetProperty("conversationId").GetGuid()); // newest activity first
        HasProperties(entry.GetProperty("participants")[0], "userId", "displayName", "avatarUrl", "presence");
        HasProperties(entry.GetProperty("lastMessage"), "senderId", "senderName", "text", "createdAt", "attachmentCount");
        Assert.Equal(0, read.GetProperty("unreadCount").GetInt32());
        HasProperties(readNoBody, "conversationId", "userId", "lastReadSeq", "lastReadAt", "unreadCount");
        (await benApi.GetAsync($"/api/conversations/{groupId}")).ExpectError(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Message_routes_answer_with_the_message_shape_of_the_spec()
    {
        var ann = await One.RegisterAsync("ann");
        var ben = await One.RegisterAsync("ben");
        await One.OrganizationAsync(ann, ben);
        var dm = await One.DirectAsync(ann, ben);
        using var api = One.Client(ann);
        using var benApi = Two.Client(ben);

        var sent = await api.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "c-1", content = "hello <b>world</b>" });
        var retried = await api.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "c-1", content = "hello <b>world</b>" });
        var messageId = sent.Json.GetProperty("id").GetGuid();
        var reply = (await benApi.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "c-2", content = "reply", replyToId = messageId })).Expect(HttpStatusCode.Created);
        var edited = (await api.PatchAsync($"/api/conversations/{dm}/messages/{messageId}", new { content = "hello again" })).Expect(HttpStatusCode.OK);
        var reacted = (await benApi.PutAsync($"/api/conversations/{dm}/messages/{messageId}/reactions/{Uri.EscapeDataString("👍")}")).Expect(HttpStatusCode.OK);
        (await benApi.PutAsync($"/api/conversations/{dm}/messages/{messageId}/reactions/{Uri.EscapeDataString("👍")}")).Expect(HttpStatusCode.OK);
        var unreacted = (await benApi.DeleteAsync($"/api/conversations/{dm}/messages/{messageId}/reactions/{Uri.EscapeDataString("👍")}")).Expect(HttpStatusCode.OK);
        var page = (await benApi.GetAsync($"/api/conversations/{dm}/messages")).Expect(HttpStatusCode.OK);
        var after = (await benApi.GetAsync($"/api/conversations/{dm}/messages?after=1&limit=1")).Expect(HttpStatusCode.OK);
        var before = (await benApi.GetAsync($"/api/conversations/{dm}/messages?before=2")).Expect(HttpStatusCode.OK);
        (await benApi.PostAsync($"/api/conversations/{dm}/read", new { seq = 2 })).Expect(HttpStatusCode.OK);
        var receipts = (await api.GetAsync($"/api/conversations/{dm}/messages/{messageId}/receipts")).Expect(HttpStatusCode.OK);
        var deleted = (await api.DeleteAsync($"/api/conversations/{dm}/messages/{messageId}")).Expect(HttpStatusCode.OK);
        var replyAfterDelete = (await benApi.GetAsync($"/api/conversations/{dm}/messages?after=1")).Expect(HttpStatusCode.OK).GetProperty("messages")[0];

        Assert.Equal(HttpStatusCode.Created, sent.Status);
        Assert.Equal(HttpStatusCode.OK, retried.Status);
        Assert.Equal(messageId, retried.Json.GetProperty("id").GetGuid());
        var message = sent.Json;
        HasProperties(message, "id", "conversationId", "seq", "senderId", "sender", "type", "content", "attachments", "replyTo", "reactions", "createdAt", "editedAt", "deletedAt", "clientMessageId");
        HasProperties(message.GetProperty("sender"), "id", "displayName", "avatarUrl");
        Assert.Equal(("text", "hello <b>world</b>", 1L, "c-1"), (message.GetProperty("type").GetString(), message.GetProperty("content").GetString(), message.GetProperty("seq").GetInt64(), message.GetProperty("clientMessageId").GetString()));
        HasProperties(reply.GetProperty("replyTo"), "id", "seq", "preview", "deleted");
        Assert.NotEqual(JsonValueKind.Null, edited.GetProperty("editedAt").ValueKind);
        var reaction = Assert.Single(reacted.GetProperty("reactions").EnumerateArray());
        Assert.Equal(("👍", 1), (reaction.GetProperty("emoji").GetString(), reaction.GetProperty("count").GetInt32()));
        Assert.Equal(ben.Id, reaction.GetProperty("userIds")[0].GetGuid());
        Assert.Equal(0, unreacted.GetProperty("reactions").GetArrayLength());
        Assert.Equal(2, page.GetProperty("messages").GetArrayLength());
        Assert.False(page.GetProperty("hasMore").GetBoolean());
        Assert.Equal(2, after.GetProperty("messages")[0].GetProperty("seq").GetInt64());
        Assert.Equal(1, before.GetProperty("messages").GetArrayLength());
        HasProperties(receipts, "messageId", "seq", "status", "recipientCount", "readBy", "deliveredTo");
        Assert.Equal("read", receipts.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, deleted.GetProperty("deletedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, deleted.GetProperty("content").ValueKind);
        Assert.True(replyAfterDelete.GetProperty("replyTo").GetProperty("deleted").GetBoolean());
        Assert.Equal("10000", sent.Header("X-RateLimit-Limit") is { } limit ? limit[..Math.Min(5, limit.Length)] : null);
        Assert.NotNull(sent.Header("X-RateLimit-Remaining"));
        Assert.NotNull(sent.Header("X-RateLimit-Reset"));
    }

    [Fact]
    public async Task Attachments_upload_as_multipart_and_download_for_participants_and_search_finds_messages()
    {
        var ann = await One.RegisterAsync("ann");
        var ben = await One.RegisterAsync("ben");
        await One.OrganizationAsync(ann, ben);
        var dm = await One.DirectAsync(ann, ben);
        using var api = One.Client(ann);

        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Png);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "file", "picture.png");
        var upload = await api.PostAsync("/api/attachments", form);
        Assert.True(upload.Status == HttpStatusCode.Created, upload.Text + string.Join("\n", One.Logs.Entries));
        var uploaded = upload.Json;
        var attachmentId = uploaded.GetProperty("id").GetGuid();
        var sent = (await api.PostAsync($"/api/conversations/{dm}/messages", new { clientMessageId = "a-1", content = "quarterly zebra report", attachmentIds = new[] { attachmentId } })).Expect(HttpStatusCode.Created);
        var download = await Two.Client(ben).GetAsync($"/api/attachments/{attachmentId}");
        using var notPng = new MultipartFormDataContent { { new ByteArrayContent("<script>alert(1)</script>"u8.ToArray()), "file", "evil.png" } };
        var rejected = await api.PostAsync("/api/attachments", notPng);
        var search = (await Two.Client(ben).GetAsync("/api/search?q=zebra")).Expect(HttpStatusCode.OK);

        Assert.Equal(("picture.png", "image/png", (long)Png.Length), (uploaded.GetProperty("name").GetString(), uploaded.GetProperty("contentType").GetString(), uploaded.GetProperty("size").GetInt64()));
        Assert.Equal(attachmentId, sent.GetProperty("attachments")[0].GetProperty("id").GetGuid());
        Assert.Equal(HttpStatusCode.OK, download.Status);
        Assert.Equal(Png, download.Body);
        Assert.Equal("image/png", download.ContentHeaders.ContentType?.MediaType);
        Assert.Equal("nosniff", download.Header("X-Content-Type-Options"));
        rejected.ExpectError(HttpStatusCode.BadRequest, "INVALID_FILE_TYPE");
        HasProperties(search, "messages", "hasMore", "nextBefore");
        Assert.Equal(sent.GetProperty("id").GetGuid(), search.GetProperty("messages")[0].GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task Health_endpoints_answer_live_and_ready_with_an_active_silo()
    {
        using var client = One.Client();

        var live = (await client.GetAsync("/health/live")).Expect(HttpStatusCode.OK);
        var ready = (await client.GetAsync("/health/ready")).Expect(HttpStatusCode.OK);

        Assert.Equal("Healthy", live.GetProperty("status").GetString());
        HasProperties(ready.GetProperty("checks"), "postgres", "cluster");
    }
}
