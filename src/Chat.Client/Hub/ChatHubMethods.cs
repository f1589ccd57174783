namespace Chat.Client;

/// <summary>The chat hub's client-to-server methods (SPEC section 12) and typed event subscriptions.</summary>
public static class ChatHubMethods
{
    /// <summary>Sends a message and returns it as stored (idempotent per <see cref="SendMessageRequest.ClientMessageId"/>).</summary>
    public static Task<ChatMessage> SendMessageAsync(this ChatHubClient hub, Guid conversationId, SendMessageRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        hub.InvokeAsync<ChatMessage>("SendMessage", [conversationId, request], timeout, cancellationToken);

    /// <summary>Edits one of the caller's messages; returns the message after the edit.</summary>
    public static Task<ChatMessage> EditMessageAsync(this ChatHubClient hub, Guid conversationId, Guid messageId, string content, CancellationToken cancellationToken = default) =>
        hub.InvokeAsync<ChatMessage>("EditMessage", [conversationId, messageId, content], cancellationToken: cancellationToken);

    /// <summary>Deletes a message (sender, or owner/admin); returns its tombstone.</summary>
    public static Task<ChatMessage> DeleteMessageAsync(this ChatHubClient hub, Guid conversationId, Guid messageId, CancellationToken cancellationToken = default) =>
        hub.InvokeAsync<ChatMessage>("DeleteMessage", [conversationId, messageId], cancellationToken: cancellationToken);

    /// <summary>Adds a reaction (idempotent); returns the message with its reactions.</summary>
    public static Task<ChatMessage> AddReactionAsync(this ChatHubClient hub, Guid conversationId, Guid messageId, string emoji, CancellationToken cancellationToken = default) =>
        hub.InvokeAsync<ChatMessage>("AddReaction", [conversationId, messageId, emoji], cancellationToken: cancellationToken);

    /// <summary>Removes a reaction; returns the message with its reactions.</summary>
    public static Task<ChatMessage> RemoveReactionAsync(this ChatHubClient hub, Guid conversationId, Guid messageId, string emoji, CancellationToken cancellationToken = default) =>
        hub.InvokeAsync<ChatMessage>("RemoveReaction", [conversationId, messageId, emoji], cancellationToken: cancellationToken);

    /// <summary>Marks the conversation read up to <paramref name="seq"/> (null: the latest message).</summary>
    public static Task<ReadState> MarkReadAsync(this ChatHubClient hub, Guid conversationId, long? seq, CancellationToken cancellationToken = default) =>
        hub.InvokeAsync<ReadState>("MarkRead", [conversationId, seq], cancellationToken: cancellationToken);

    /// <summary>Says the caller is typing (fire-and-forget; send at most one per 2 s).</summary>
    public static Task TypingAsync(this ChatHubClient hub, Guid conversationId, CancellationToken cancellationToken = default) =>
        hub.SendAsync("Typing", [conversationId], cancellationToken);

    /// <summary>Sets the caller's presence (online or away, e.g. when idle); returns the resulting status.</summary>
    public static async Task<PresenceStatus> SetPresenceAsync(this ChatHubClient hub, PresenceStatus status, CancellationToken cancellationToken = default) =>
        (await hub.InvokeAsync<PresenceAnswer>("SetPresence", [status], cancellationToken: cancellationToken).ConfigureAwait(false)).Status;

    /// <summary>Handles <see cref="ChatEvents.MessageCreated"/>.</summary>
    public static IDisposable OnMessageCreated(this ChatHubClient hub, Func<MessageEvent, Task> handler) => hub.On(ChatEvents.MessageCreated, handler);

    /// <summary>Handles <see cref="ChatEvents.MessageUpdated"/>.</summary>
    public static IDisposable OnMessageUpdated(this ChatHubClient hub, Func<MessageEvent, Task> handler) => hub.On(ChatEvents.MessageUpdated, handler);

    /// <summary>Handles <see cref="ChatEvents.MessageDeleted"/>.</summary>
    public static IDisposable OnMessageDeleted(this ChatHubClient hub, Func<MessageEvent, Task> handler) => hub.On(ChatEvents.MessageDeleted, handler);

    /// <summary>Handles <see cref="ChatEvents.ConversationCreated"/>.</summary>
    public static IDisposable OnConversationCreated(this ChatHubClient hub, Func<ConversationEvent, Task> handler) => hub.On(ChatEvents.ConversationCreated, handler);

    /// <summary>Handles <see cref="ChatEvents.ConversationUpdated"/>.</summary>
    public static IDisposable OnConversationUpdated(this ChatHubClient hub, Func<ConversationEvent, Task> handler) => hub.On(ChatEvents.ConversationUpdated, handler);

    /// <summary>Handles <see cref="ChatEvents.ConversationRemoved"/>.</summary>
    public static IDisposable OnConversationRemoved(this ChatHubClient hub, Func<ConversationRemovedEvent, Task> handler) => hub.On(ChatEvents.ConversationRemoved, handler);

    /// <summary>Handles <see cref="ChatEvents.ReadUpdated"/>.</summary>
    public static IDisposable OnReadUpdated(this ChatHubClient hub, Func<ReadUpdatedEvent, Task> handler) => hub.On(ChatEvents.ReadUpdated, handler);

    /// <summary>Handles <see cref="ChatEvents.UnreadChanged"/>.</summary>
    public static IDisposable OnUnreadChanged(this ChatHubClient hub, Func<UnreadChangedEvent, Task> handler) => hub.On(ChatEvents.UnreadChanged, handler);

    /// <summary>Handles <see cref="ChatEvents.Typing"/>.</summary>
    public static IDisposable OnTyping(this ChatHubClient hub, Func<TypingEvent, Task> handler) => hub.On(ChatEvents.Typing, handler);

    /// <summary>Handles <see cref="ChatEvents.Presence"/>.</summary>
    public static IDisposable OnPresence(this ChatHubClient hub, Func<PresenceEvent, Task> handler) => hub.On(ChatEvents.Presence, handler);
}
