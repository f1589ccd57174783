using Chat.Frontend.Hosting;
using System.Text.Json;
using Chat.Frontend.Api;
using Chat.Frontend.Auth;
using Chat.Grains;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Chat.Frontend.Realtime;

/// <summary>
/// The hub at <c>/hubs/chat</c> (SPEC sections 6 and 12). Every method acts as the authenticated user;
/// no argument names a sender. Ids arrive as strings and bodies as JSON so that malformed input fails
/// with the SPEC section 7 error (through <see cref="HubErrorFilter"/>) rather than a binding error.
/// </summary>
[Authorize]
internal sealed class ChatHub(IClusterClient cluster, ConnectionRegistry registry, FrontendMetrics metrics) : Hub
{
    private Guid Me => Context.User!.UserId();

    public override Task OnConnectedAsync() =>
        registry.ConnectAsync(Context.ConnectionId, Me, Context.User!.SessionKey(), Context.Abort);

    public override Task OnDisconnectedAsync(Exception? exception) => registry.DisconnectAsync(Context.ConnectionId);

    /// <summary>Sends a message: <c>{clientMessageId, content, attachmentIds, replyToId}</c> → the message.</summary>
    public async Task<MessageDto> SendMessage(string conversationId, JsonElement message)
    {
        SendMessageBody? body;
        try
        {
            body = message.ValueKind == JsonValueKind.Object ? message.Deserialize<SendMessageBody>(HubJson.Options) : null;
        }
        catch (JsonException exception)
        {
            throw ChatException.Validation("message", "message has a malformed member: " + (exception.Path ?? "?"));
        }

        if (body is null)
        {
            throw ChatException.Validation("message", "message is an object {clientMessageId, content, attachmentIds, replyToId}.");
        }

        // Sends are idempotent (clientMessageId), so one whose silo died is simply sent again, even after a timeout.
        var request = body.ToRequest();
        var result = await GrainCallRetry.RunAsync(() => Conversation(conversationId).SendMessage(Me, request), GrainCallRetry.SendBudget, retryTimeouts: true);
        if (result.Created)
        {
            metrics.MessageAccepted("hub");
        }

        return result.Message;
    }

    public Task<MessageDto> EditMessage(string conversationId, string messageId, string? content) =>
        Conversation(conversationId).EditMessage(Me, Id(messageId, "messageId"), content ?? throw ChatException.Validation("content", "content is required."));

    public Task<MessageDto> DeleteMessage(string conversationId, string messageId) =>
        Conversation(conversationId).DeleteMessage(Me, Id(messageId, "messageId"));

    public Task<MessageDto> AddReaction(string conversationId, string messageId, string? emoji) =>
        Conversation(conversationId).AddReaction(Me, Id(messageId, "messageId"), emoji ?? throw ChatException.Validation("emoji", "emoji is required."));

    public Task<MessageDto> RemoveReaction(string conversationId, string messageId, string? emoji) =>
        Conversation(conversationId).RemoveReaction(Me, Id(messageId, "messageId"), emoji ?? throw ChatException.Validation("emoji", "emoji is required."));

    /// <summary>Moves the read position up to <paramref name="seq"/> (null: the latest).</summary>
    // Numbers arrive as JSON and are checked here: a value SignalR cannot bind would otherwise fail the
    // call before any filter runs, with its generic "error on the server" instead of VALIDATION_ERROR.
    public Task<ReadState> MarkRead(string conversationId, JsonElement seq = default) =>
        Conversation(conversationId).MarkRead(Me, OptionalLong(seq, "seq"));

    /// <summary>The caller is typing (clients send at most one per 2 s; the other participants see it for 5 s).</summary>
    public Task Typing(string conversationId) => Conversation(conversationId).Typing(Me);

    /// <summary>
    /// After (re)connecting: every event after (<paramref name="epoch"/>, <paramref name="seq"/>) in order,
    /// or <c>{resync: true}</c>. <c>Resume(0, 0)</c> starts a fresh client at the current position.
    /// </summary>
    public Task<ResumeResult> Resume(JsonElement epoch, JsonElement seq) =>
        registry.ResumeAsync(Context.ConnectionId, Me, OptionalLong(epoch, "epoch") ?? 0, OptionalLong(seq, "seq") ?? 0);

    /// <summary>"online" or "away" (the client's idle detection); returns <c>{status}</c>.</summary>
    public async Task<PresenceAnswer> SetPresence(string? status)
    {
        var parsed = status?.Trim().ToLowerInvariant() switch
        {
            "online" => PresenceStatus.Online,
            "away" => PresenceStatus.Away,
            _ => throw ChatException.Validation("status", "status is online or away."),
        };
        return new PresenceAnswer(await cluster.GetGrain<IUserGrain>(Me).SetPresence(parsed));
    }

    private IConversationGrain Conversation(string conversationId) => cluster.GetGrain<IConversationGrain>(Id(conversationId, "conversationId"));

    private static long? OptionalLong(JsonElement value, string field) => value.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        JsonValueKind.Number when value.TryGetInt64(out var number) => number,
        _ => throw ChatException.Validation(field, $"{field} is an integer."),
    };

    private static Guid Id(string? text, string field) =>
        Guid.TryParse(text, out var id) ? id : throw ChatException.Validation(field, $"{field} is a uuid.");
}

/// <summary>Answer of <c>SetPresence</c>.</summary>
public sealed record PresenceAnswer(PresenceStatus Status);

/// <summary>JSON for arguments the hub parses itself.</summary>
internal static class HubJson
{
    public static readonly JsonSerializerOptions Options = Hosting.ChatJson.Create();
}

/// <summary>
/// Hub errors in the SPEC section 7 shape: the <see cref="HubException"/> message is the error object's
/// JSON, so clients (the official JS client included) see the code.
/// </summary>
internal sealed class HubErrorFilter(ILogger<HubErrorFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (Exception exception) when (exception is not HubException)
        {
            var error = ErrorMapper.From(exception);
            if (ErrorMapper.IsServerFault(error))
            {
                Hosting.FrontendLog.HubCallFailed(logger, invocationContext.HubMethodName, error.Error.Code, exception);
            }

            throw new HubException(JsonSerializer.Serialize(new ApiErrorResponse(error.Error), HubJson.Options));
        }
    }
}
