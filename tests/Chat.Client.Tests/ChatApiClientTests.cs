using System.Net;
using System.Text;
using System.Text.Json;

namespace Chat.Client.Tests;

public sealed class ChatApiClientTests
{
    private static readonly Uri BaseUrl = new("http://frontend.test:5080/");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly Guid ConversationId = Guid.Parse("6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f");
    private static readonly Guid MessageId = Guid.Parse("11111111-2222-4333-8444-555555555555");

    private const string MessageJson = """
        {"id":"11111111-2222-4333-8444-555555555555","conversationId":"6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f","seq":42,
         "senderId":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","sender":{"id":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","displayName":"Alice","avatarUrl":null},
         "type":"text","content":"hi","attachments":[],"replyTo":null,"reactions":[{"emoji":"👍","count":1,"userIds":["aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"]}],
         "createdAt":"2026-01-02T03:04:05Z","editedAt":null,"deletedAt":null,"clientMessageId":"c-1"}
        """;

    [Fact]
    public async Task Register_keeps_the_token_and_later_calls_send_it_as_bearer()
    {
        var stub = new StubHandler(request => request.RequestUri!.AbsolutePath switch
        {
            "/api/auth/register" => Json(HttpStatusCode.Created, """
                {"token":"t-123","user":{"id":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","username":"alice","displayName":"Alice","email":null,
                 "avatarUrl":null,"status":"online","lastSeenAt":null,"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}}
                """),
            _ => Json(HttpStatusCode.OK, """{"conversations":[],"totalUnread":0,"unreadConversations":0}"""),
        });
        var api = new ChatApiClient(new HttpClient(stub), BaseUrl);

        var auth = await api.RegisterAsync(new RegisterRequest("alice", "secret-password", DisplayName: "Alice")).WaitAsync(Timeout);
        await api.GetInboxAsync().WaitAsync(Timeout);

        Assert.Equal("t-123", auth.Token);
        Assert.Equal(PresenceStatus.Online, auth.User.Status);
        Assert.Equal("t-123", api.AccessToken);
        Assert.Null(stub.Requests[0].Authorization);
        Assert.Equal("""{"username":"alice","password":"secret-password","displayName":"Alice"}""", stub.Requests[0].Body);
        Assert.Equal("Bearer t-123", stub.Requests[1].Authorization);
    }

    [Fact]
    public async Task An_error_answer_becomes_an_exception_with_the_error_object_status_and_rate_limit_headers()
    {
        var stub = new StubHandler(_ =>
        {
            var response = Json((HttpStatusCode)429, """{"error":{"code":"RATE_LIMITED","message":"Too many messages.","details":{"limit":10},"retryAfter":12}}""");
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(12));
            response.Headers.Add("X-RateLimit-Limit", "10");
            response.Headers.Add("X-RateLimit-Remaining", "0");
            response.Headers.Add("X-RateLimit-Reset", "1767322000");
            return response;
        });
        var api = new ChatApiClient(new HttpClient(stub), BaseUrl, "token");

        var failure = await Assert.ThrowsAsync<ChatApiException>(() =>
            api.SendMessageAsync(ConversationId, new SendMessageRequest("c-9", "spam")).WaitAsync(Timeout));

        Assert.Equal((HttpStatusCode)429, failure.StatusCode);
        Assert.Equal(ChatErrorCodes.RateLimited, failure.Code);
        Assert.Equal("Too many messages.", failure.Error.Message);
        Assert.Equal(12, failure.Error.RetryAfter);
        Assert.Equal(10, failure.Error.Details!.Value.GetProperty("limit").GetInt32());
        Assert.Equal(TimeSpan.FromSeconds(12), failure.RetryAfter);
        Assert.Equal(new RateLimitInfo(10, 0, 1767322000), failure.RateLimit);
    }

    [Fact]
    public async Task An_error_answer_without_the_error_shape_gets_the_code_of_its_status()
    {
        var stub = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("<html>down</html>") });
        var api = new ChatApiClient(new HttpClient(stub), BaseUrl, "token");

        var failure = await Assert.ThrowsAsync<ChatApiException>(() => api.GetMeAsync().WaitAsync(Timeout));

        Assert.Equal(ChatErrorCodes.Unavailable, failure.Code);
    }

    [Fact]
    public async Task Sending_tells_a_new_message_from_an_idempotent_retry()
    {
        var statuses = new Queue<HttpStatusCode>([HttpStatusCode.Created, HttpStatusCode.OK]);
        var stub = new StubHandler(_ =>
        {
            var response = Json(statuses.Dequeue(), MessageJson);
            response.Headers.Add("X-RateLimit-Remaining", "9");
            return response;
        });
        var api = new ChatApiClient(new HttpClient(stub), BaseUrl, "token");
        var request = new SendMessageRequest("c-1", "hi");

        var first = await api.SendMessageAsync(ConversationId, request).WaitAsync(Timeout);
        var retry = await api.SendMessageAsync(ConversationId, request).WaitAsync(Timeout);

        Assert.True(first.Created);
        Assert.False(retry.Created);
        Assert.Equal(42, first.Message.Seq);
        Assert.Equal(MessageType.Text, first.Message.Type);
        Assert.Equal("👍", first.Message.Reactions![0].Emoji);
        Assert.Equal(9, first.RateLimit!.Remaining);
        Assert.Equal($"/api/conversations/{ConversationId}/messages", stub.Requests[0].Path);
        Assert.Equal("""{"clientMessageId":"c-1","content":"hi"}""", stub.Requests[0].Body);
    }

    [Fact]
    public async Task History_paging_and_search_put_their_parameters_in_the_query()
    {
        var stub = new StubHandler(request => request.RequestUri!.AbsolutePath.StartsWith("/api/search", StringComparison.Ordinal)
            ? Json(HttpStatusCode.OK, """{"messages":[],"hasMore":false,"nextBefore":null}""")
            : Json(HttpStatusCode.OK, $$"""{"messages":[{{MessageJson}}],"hasMore":true}"""));
        var api = new ChatApiClient(new HttpClient(stub), new Uri("http://frontend.test:5080/prefix"), "token");

        var page = await api.GetMessagesAsync(ConversationId, before: 100, limit: 20).WaitAsync(Timeout);
        await api.GetMessagesAsync(ConversationId, after: 7).WaitAsync(Timeout);
        await api.SearchAsync("a&b c", ConversationId).WaitAsync(Timeout);

        Assert.True(page.HasMore);
        Assert.Single(page.Messages);
        Assert.Equal($"/prefix/api/conversations/{ConversationId}/messages?before=100&limit=20", stub.Requests[0].PathAndQuery);
        Assert.Equal($"/prefix/api/conversations/{ConversationId}/messages?after=7", stub.Requests[1].PathAndQuery);
        Assert.Equal($"/prefix/api/search?q=a%26b%20c&conversationId={ConversationId}", stub.Requests[2].PathAndQuery);
    }

    [Fact]
    public async Task Reactions_escape_the_emoji_in_the_path_and_settings_omit_unchanged_fields()
    {
        var stub = new StubHandler(request => request.RequestUri!.AbsolutePath switch
        {
            var path when path.EndsWith("/settings", StringComparison.Ordinal) =>
                Json(HttpStatusCode.OK, """{"role":"member","lastReadSeq":3,"lastReadAt":null,"unreadCount":0,"isStarred":false,"isMuted":true}"""),
            var path when path.EndsWith("/read", StringComparison.Ordinal) =>
                Json(HttpStatusCode.OK, """{"conversationId":"6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f","userId":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","lastReadSeq":42,"lastReadAt":"2026-01-02T03:04:05.000000Z","unreadCount":0}"""),
            _ => Json(HttpStatusCode.OK, MessageJson),
        });
        var api = new ChatApiClient(new HttpClient(stub), BaseUrl, "token");

        var reacted = await api.AddReactionAsync(ConversationId, MessageId, "👍").WaitAsync(Timeout);
        Assert.Equal(1, reacted.Reactions![0].Count);
        var settings = await api.UpdateSettingsAsync(ConversationId, new ParticipantSettingsRequest(IsMuted: true)).WaitAsync(Timeout);
        var read = await api.MarkReadAsync(ConversationId).WaitAsync(Timeout);
        Assert.True(settings.IsMuted);
        Assert.Equal(42, read.LastReadSeq);

        Assert.Equal("PUT", stub.Requests[0].Method);
        Assert.Equal($"/api/conversations/{ConversationId}/messages/{MessageId}/reactions/%F0%9F%91%8D", stub.Requests[0].PathAndQuery);
        Assert.Equal("""{"isMuted":true}""", stub.Requests[1].Body);
        Assert.Equal("{}", stub.Requests[2].Body);
    }

    [Fact]
    public async Task Opening_a_dm_tells_whether_it_was_created()
    {
        const string Details = """
            {"id":"6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f","type":"direct","organizationId":"00000000-0000-4000-8000-000000000001","name":null,
             "description":null,"createdBy":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z",
             "lastSeq":0,"participants":[{"userId":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","displayName":"Alice","avatarUrl":null,"role":"owner","joinedAt":"2026-01-01T00:00:00Z"}],
             "me":{"role":"owner","lastReadSeq":0,"lastReadAt":null,"unreadCount":0,"isStarred":false,"isMuted":false}}
            """;
        var statuses = new Queue<HttpStatusCode>([HttpStatusCode.Created, HttpStatusCode.OK]);
        var stub = new StubHandler(_ => Json(statuses.Dequeue(), Details));
        var api = new ChatApiClient(new HttpClient(stub), BaseUrl, "token");

        var created = await api.OpenDirectAsync(Guid.NewGuid()).WaitAsync(Timeout);
        var existing = await api.OpenDirectAsync(Guid.NewGuid()).WaitAsync(Timeout);

        Assert.True(created.Created);
        Assert.False(existing.Created);
        Assert.Equal(ConversationType.Direct, created.Conversation.Type);
        Assert.Equal(Role.Owner, created.Conversation.Participants[0].Role);
    }

    [Fact]
    public async Task A_body_that_does_not_match_the_contract_names_the_route()
    {
        var stub = new StubHandler(_ => Json(HttpStatusCode.OK, """{"conversations":"not a list"}"""));
        var api = new ChatApiClient(new HttpClient(stub), BaseUrl, "token");

        var failure = await Assert.ThrowsAsync<JsonException>(() => api.GetInboxAsync().WaitAsync(Timeout));

        Assert.Contains("GET /api/conversations", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uploads_are_multipart_with_the_file_field()
    {
        var stub = new StubHandler(_ => Json(HttpStatusCode.Created, """{"id":"11111111-2222-4333-8444-555555555555","name":"a.png","contentType":"image/png","size":4}"""));
        var api = new ChatApiClient(new HttpClient(stub), BaseUrl, "token");

        var info = await api.UploadAttachmentAsync(new MemoryStream([0x89, 0x50, 0x4E, 0x47]), "a.png", "image/png").WaitAsync(Timeout);

        Assert.Equal(4, info.Size);
        Assert.StartsWith("multipart/form-data", stub.Requests[0].ContentType, StringComparison.Ordinal);
        Assert.Contains("name=file", stub.Requests[0].Body, StringComparison.Ordinal);
        Assert.Contains("filename=a.png", stub.Requests[0].Body, StringComparison.Ordinal);
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private sealed record RecordedRequest(string Method, string Path, string PathAndQuery, string? Authorization, string? ContentType, string Body);

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public List<RecordedRequest> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add(new RecordedRequest(
                request.Method.Method,
                request.RequestUri!.AbsolutePath,
                request.RequestUri.PathAndQuery,
                request.Headers.Authorization?.ToString(),
                request.Content?.Headers.ContentType?.ToString(),
                body));
            var response = respond(request);
            response.RequestMessage = request;
            return response;
        }
    }
}
