using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Chat.Client;

/// <summary>
/// The chat REST API (SPEC section 12) for one user. Cheap to create: share one <see cref="HttpClient"/>
/// between many instances (a load generator holds thousands) and give each its own token. Every error
/// answer becomes a <see cref="ChatApiException"/> carrying the section 7 error, the status and the
/// rate-limit headers. Safe for concurrent calls, except that <see cref="AccessToken"/> is per instance.
/// </summary>
public sealed class ChatApiClient
{
    private readonly HttpClient _http;
    private readonly Uri _baseAddress;
    private readonly JsonSerializerOptions _json;

    /// <summary>Creates a client of the API at <paramref name="baseAddress"/> (e.g. <c>http://127.0.0.1:5080/</c>).</summary>
    /// <param name="http">A shared client; this class never disposes it and never changes its default headers.</param>
    /// <param name="baseAddress">The frontend's base address; a path is kept (the API lives under <c>api/</c> below it).</param>
    /// <param name="accessToken">A bearer token, when already known (e.g. reused from an earlier login).</param>
    /// <param name="jsonOptions">JSON settings; <see cref="ChatJson.Options"/> by default.</param>
    public ChatApiClient(HttpClient http, Uri baseAddress, string? accessToken = null, JsonSerializerOptions? jsonOptions = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseAddress);
        _http = http;
        _baseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        _json = jsonOptions ?? ChatJson.Options;
        AccessToken = accessToken;
    }

    /// <summary>The frontend's base address.</summary>
    public Uri BaseAddress => _baseAddress;

    /// <summary>The bearer token sent with every call; register and login set it, logout clears it.</summary>
    public string? AccessToken { get; set; }

    /// <summary>The rate-limit headers of the latest answer that had them.</summary>
    public RateLimitInfo? LastRateLimit { get; private set; }

    // ---- auth and profile ----------------------------------------------------------------

    /// <summary>Registers a user and keeps the returned token.</summary>
    public async Task<AuthResponse> RegisterAsync(RegisterRequest request, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync<RegisterRequest, AuthResponse>(HttpMethod.Post, "api/auth/register", request, cancellationToken).ConfigureAwait(false);
        AccessToken = response.Token;
        return response;
    }

    /// <summary>Logs in and keeps the returned token.</summary>
    public async Task<AuthResponse> LoginAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync<LoginRequest, AuthResponse>(HttpMethod.Post, "api/auth/login", new LoginRequest(username, password), cancellationToken).ConfigureAwait(false);
        AccessToken = response.Token;
        return response;
    }

    /// <summary>Revokes the token and forgets it.</summary>
    public async Task LogoutAsync(CancellationToken cancellationToken = default)
    {
        await SendAsync(HttpMethod.Post, "api/auth/logout", cancellationToken).ConfigureAwait(false);
        AccessToken = null;
    }

    /// <summary>The caller's profile and organizations.</summary>
    public Task<MeResponse> GetMeAsync(CancellationToken cancellationToken = default) =>
        GetAsync<MeResponse>("api/me", cancellationToken);

    /// <summary>Changes the caller's display name or avatar; answers the profile after the change.</summary>
    public Task<MeResponse> UpdateMeAsync(UpdateProfileRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<UpdateProfileRequest, MeResponse>(HttpMethod.Patch, "api/me", request, cancellationToken);

    // ---- organizations -------------------------------------------------------------------

    /// <summary>Creates an organization; the caller becomes its owner.</summary>
    public Task<OrganizationInfo> CreateOrganizationAsync(string name, CancellationToken cancellationToken = default) =>
        SendAsync<CreateOrganizationRequest, OrganizationInfo>(HttpMethod.Post, "api/organizations", new CreateOrganizationRequest(name), cancellationToken);

    /// <summary>The directory of an organization the caller belongs to, optionally filtered.</summary>
    public Task<OrganizationDirectory> GetMembersAsync(Guid organizationId, string? query = null, CancellationToken cancellationToken = default) =>
        GetAsync<OrganizationDirectory>(
            $"api/organizations/{organizationId:D}/members{(query is null ? "" : "?query=" + Uri.EscapeDataString(query))}",
            cancellationToken);

    /// <summary>Adds a user to an organization (owner/admin).</summary>
    public Task<OrganizationMember> AddMemberAsync(Guid organizationId, string username, Role? role = null, CancellationToken cancellationToken = default) =>
        SendAsync<AddMemberRequest, OrganizationMember>(HttpMethod.Post, $"api/organizations/{organizationId:D}/members", new AddMemberRequest(username, role), cancellationToken);

    /// <summary>Removes a member from an organization (owner/admin).</summary>
    public Task RemoveMemberAsync(Guid organizationId, Guid userId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/organizations/{organizationId:D}/members/{userId:D}", cancellationToken);

    // ---- conversations -------------------------------------------------------------------

    /// <summary>The caller's inbox, newest activity first.</summary>
    public Task<Inbox> GetInboxAsync(CancellationToken cancellationToken = default) =>
        GetAsync<Inbox>("api/conversations", cancellationToken);

    /// <summary>Opens the DM with a user: the existing one or a new one (<see cref="DirectConversationResult.Created"/>).</summary>
    public async Task<DirectConversationResult> OpenDirectAsync(Guid userId, Guid? organizationId = null, CancellationToken cancellationToken = default)
    {
        using var request = CreateRequest(HttpMethod.Post, "api/conversations/direct", new OpenDirectRequest(userId, organizationId));
        using var response = await SendCoreAsync(request, cancellationToken).ConfigureAwait(false);
        var details = await ReadAsync(response, Info<ConversationDetails>(), cancellationToken).ConfigureAwait(false);
        return new DirectConversationResult(details, response.StatusCode == HttpStatusCode.Created);
    }

    /// <summary>Creates a group; the caller becomes its owner.</summary>
    public Task<ConversationDetails> CreateGroupAsync(CreateGroupRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<CreateGroupRequest, ConversationDetails>(HttpMethod.Post, "api/conversations/group", request, cancellationToken);

    /// <summary>Details and participants of a conversation.</summary>
    public Task<ConversationDetails> GetConversationAsync(Guid conversationId, CancellationToken cancellationToken = default) =>
        GetAsync<ConversationDetails>($"api/conversations/{conversationId:D}", cancellationToken);

    /// <summary>Renames or re-describes a group (owner/admin).</summary>
    public Task<ConversationDetails> UpdateConversationAsync(Guid conversationId, UpdateConversationRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<UpdateConversationRequest, ConversationDetails>(HttpMethod.Patch, $"api/conversations/{conversationId:D}", request, cancellationToken);

    /// <summary>Deletes a conversation for everyone (owner; soft delete).</summary>
    public Task DeleteConversationAsync(Guid conversationId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/conversations/{conversationId:D}", cancellationToken);

    /// <summary>Adds participants (owner/admin).</summary>
    public Task<ConversationDetails> AddParticipantsAsync(Guid conversationId, IReadOnlyList<Guid> userIds, CancellationToken cancellationToken = default) =>
        SendAsync<AddParticipantsRequest, ConversationDetails>(HttpMethod.Post, $"api/conversations/{conversationId:D}/participants", new AddParticipantsRequest(userIds), cancellationToken);

    /// <summary>Leaves (own id) or removes a participant (owner/admin).</summary>
    public Task RemoveParticipantAsync(Guid conversationId, Guid userId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/conversations/{conversationId:D}/participants/{userId:D}", cancellationToken);

    /// <summary>Changes a participant's role (owner).</summary>
    public Task<ConversationDetails> ChangeRoleAsync(Guid conversationId, Guid userId, Role role, CancellationToken cancellationToken = default) =>
        SendAsync<ChangeRoleRequest, ConversationDetails>(HttpMethod.Patch, $"api/conversations/{conversationId:D}/participants/{userId:D}", new ChangeRoleRequest(role), cancellationToken);

    /// <summary>Stars or mutes the conversation for the caller; answers the caller's participation.</summary>
    public Task<MyParticipation> UpdateSettingsAsync(Guid conversationId, ParticipantSettingsRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<ParticipantSettingsRequest, MyParticipation>(HttpMethod.Put, $"api/conversations/{conversationId:D}/settings", request, cancellationToken);

    /// <summary>Marks the conversation read up to <paramref name="seq"/> (default: the latest message).</summary>
    public Task<ReadState> MarkReadAsync(Guid conversationId, long? seq = null, CancellationToken cancellationToken = default) =>
        SendAsync<MarkReadRequest, ReadState>(HttpMethod.Post, $"api/conversations/{conversationId:D}/read", new MarkReadRequest(seq), cancellationToken);

    // ---- messages ------------------------------------------------------------------------

    /// <summary>
    /// A page of history in ascending order: the newest page by default, older than <paramref name="before"/>,
    /// or newer than <paramref name="after"/> (catch-up); <paramref name="limit"/> ≤ 100 (server default 50).
    /// </summary>
    public Task<MessagePage> GetMessagesAsync(Guid conversationId, long? before = null, long? after = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>(3);
        if (before is { } b)
        {
            query.Add("before=" + b.ToString(CultureInfo.InvariantCulture));
        }

        if (after is { } a)
        {
            query.Add("after=" + a.ToString(CultureInfo.InvariantCulture));
        }

        if (limit is { } l)
        {
            query.Add("limit=" + l.ToString(CultureInfo.InvariantCulture));
        }

        var path = $"api/conversations/{conversationId:D}/messages" + (query.Count == 0 ? "" : "?" + string.Join('&', query));
        return GetAsync<MessagePage>(path, cancellationToken);
    }

    /// <summary>
    /// Sends a message. Retrying with the same <see cref="SendMessageRequest.ClientMessageId"/> is safe: the
    /// server answers the original message (<see cref="SendMessageResult.Created"/> false).
    /// </summary>
    public async Task<SendMessageResult> SendMessageAsync(Guid conversationId, SendMessageRequest request, CancellationToken cancellationToken = default)
    {
        using var httpRequest = CreateRequest(HttpMethod.Post, $"api/conversations/{conversationId:D}/messages", request);
        using var response = await SendCoreAsync(httpRequest, cancellationToken).ConfigureAwait(false);
        var message = await ReadAsync(response, Info<ChatMessage>(), cancellationToken).ConfigureAwait(false);
        return new SendMessageResult(message, response.StatusCode == HttpStatusCode.Created, ReadRateLimit(response));
    }

    /// <summary>Edits one of the caller's messages; answers the message after the edit.</summary>
    public Task<ChatMessage> EditMessageAsync(Guid conversationId, Guid messageId, string content, CancellationToken cancellationToken = default) =>
        SendAsync<EditMessageRequest, ChatMessage>(HttpMethod.Patch, $"api/conversations/{conversationId:D}/messages/{messageId:D}", new EditMessageRequest(content), cancellationToken);

    /// <summary>Deletes a message (sender, or owner/admin for moderation); answers its tombstone.</summary>
    public Task<ChatMessage> DeleteMessageAsync(Guid conversationId, Guid messageId, CancellationToken cancellationToken = default) =>
        ReceiveAsync<ChatMessage>(HttpMethod.Delete, $"api/conversations/{conversationId:D}/messages/{messageId:D}", cancellationToken);

    /// <summary>Adds a reaction (idempotent); answers the message with its reactions.</summary>
    public Task<ChatMessage> AddReactionAsync(Guid conversationId, Guid messageId, string emoji, CancellationToken cancellationToken = default) =>
        ReceiveAsync<ChatMessage>(HttpMethod.Put, $"api/conversations/{conversationId:D}/messages/{messageId:D}/reactions/{Uri.EscapeDataString(emoji)}", cancellationToken);

    /// <summary>Removes a reaction; answers the message with its reactions.</summary>
    public Task<ChatMessage> RemoveReactionAsync(Guid conversationId, Guid messageId, string emoji, CancellationToken cancellationToken = default) =>
        ReceiveAsync<ChatMessage>(HttpMethod.Delete, $"api/conversations/{conversationId:D}/messages/{messageId:D}/reactions/{Uri.EscapeDataString(emoji)}", cancellationToken);

    /// <summary>Who read and who received a message.</summary>
    public Task<MessageReceipts> GetReceiptsAsync(Guid conversationId, Guid messageId, CancellationToken cancellationToken = default) =>
        GetAsync<MessageReceipts>($"api/conversations/{conversationId:D}/messages/{messageId:D}/receipts", cancellationToken);

    /// <summary>Full-text search over the caller's conversations, newest first.</summary>
    public Task<SearchResult> SearchAsync(string query, Guid? conversationId = null, string? before = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var path = "api/search?q=" + Uri.EscapeDataString(query)
            + (conversationId is { } c ? "&conversationId=" + c.ToString("D") : "")
            + (before is null ? "" : "&before=" + Uri.EscapeDataString(before))
            + (limit is { } l ? "&limit=" + l.ToString(CultureInfo.InvariantCulture) : "");
        return GetAsync<SearchResult>(path, cancellationToken);
    }

    // ---- attachments ---------------------------------------------------------------------

    /// <summary>Uploads a file (multipart field <c>file</c>); reference the returned id in a message.</summary>
    public async Task<AttachmentInfo> UploadAttachmentAsync(Stream content, string fileName, string? contentType = null, CancellationToken cancellationToken = default)
    {
        using var form = new MultipartFormDataContent();
        var file = new StreamContent(content);
        if (contentType is not null)
        {
            file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        form.Add(file, "file", fileName);
        using var request = CreateRequest(HttpMethod.Post, "api/attachments");
        request.Content = form;
        using var response = await SendCoreAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, Info<AttachmentInfo>(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Downloads an attachment (participants of a conversation that references it only).</summary>
    public async Task<AttachmentDownload> DownloadAttachmentAsync(Guid attachmentId, CancellationToken cancellationToken = default)
    {
        using var request = CreateRequest(HttpMethod.Get, $"api/attachments/{attachmentId:D}");
        using var response = await SendCoreAsync(request, cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new AttachmentDownload(
            bytes,
            response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream",
            response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
    }

    // ---- plumbing ------------------------------------------------------------------------

    private JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)_json.GetTypeInfo(typeof(T));

    private Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) => ReceiveAsync<T>(HttpMethod.Get, path, cancellationToken);

    private async Task<T> ReceiveAsync<T>(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        using var request = CreateRequest(method, path);
        using var response = await SendCoreAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, Info<T>(), cancellationToken).ConfigureAwait(false);
    }

    private async Task<TResponse> SendAsync<TRequest, TResponse>(HttpMethod method, string path, TRequest body, CancellationToken cancellationToken)
    {
        using var request = CreateRequest(method, path, body);
        using var response = await SendCoreAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, Info<TResponse>(), cancellationToken).ConfigureAwait(false);
    }

    private async Task SendAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        using var request = CreateRequest(method, path);
        using var response = await SendCoreAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private HttpRequestMessage CreateRequest(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(_baseAddress, path));
        if (AccessToken is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    private HttpRequestMessage CreateRequest<TBody>(HttpMethod method, string path, TBody body)
    {
        var request = CreateRequest(method, path);
        request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, Info<TBody>()));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return request;
    }

    /// <summary>Sends and turns every non-success answer into a <see cref="ChatApiException"/>.</summary>
    private async Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var rateLimit = ReadRateLimit(response);
        if (rateLimit is not null)
        {
            LastRateLimit = rateLimit;
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            throw new ChatApiException(response.StatusCode, error, rateLimit, ReadRetryAfter(response));
        }
    }

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> info, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                return await JsonSerializer.DeserializeAsync(stream, info, cancellationToken).ConfigureAwait(false)
                    ?? throw new JsonException($"{response.RequestMessage?.RequestUri} answered null for {typeof(T).Name}.");
            }
            catch (JsonException exception)
            {
                // Keep the route in the message: a contract mismatch is far easier to fix knowing where.
                throw new JsonException(
                    $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} answered JSON that does not match {typeof(T).Name}: {exception.Message}",
                    exception);
            }
        }
    }

    private async Task<ChatError> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            body = "";
        }

        if (body.Length > 0)
        {
            try
            {
                var envelope = JsonSerializer.Deserialize(body, Info<ChatErrorEnvelope>());
                if (envelope?.Error is { Code.Length: > 0 } error)
                {
                    return error;
                }
            }
            catch (JsonException)
            {
                // Not the section 7 shape (e.g. a proxy's HTML page): fall through to a code by status.
            }
        }

        var text = body.Length is > 0 and <= 500 ? body : $"{(int)response.StatusCode} {response.ReasonPhrase}";
        return new ChatError(ChatErrorCodes.OfStatus(response.StatusCode), text);
    }

    private static RateLimitInfo? ReadRateLimit(HttpResponseMessage response)
    {
        var limit = Header(response, "X-RateLimit-Limit");
        var remaining = Header(response, "X-RateLimit-Remaining");
        var reset = Header(response, "X-RateLimit-Reset");
        if (limit is null && remaining is null && reset is null)
        {
            return null;
        }

        return new RateLimitInfo(
            int.TryParse(limit, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null,
            int.TryParse(remaining, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : null,
            long.TryParse(reset, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : null);
    }

    private static TimeSpan? ReadRetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        return retryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
