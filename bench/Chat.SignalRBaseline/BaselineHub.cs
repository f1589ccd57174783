using System.Text.Json;
using Chat.Client;
using Microsoft.AspNetCore.SignalR;

namespace Chat.SignalRBaseline;

/// <summary>
/// The hub at <c>/hubs/chat</c>, reduced to what the load tester calls. Positioned events go to each
/// member's SignalR group (its connections) at the member's next event position: the conversation's lock
/// is held while a message gets its seq and while every member's write starts, and each member's lock
/// while its position is taken, so a connection sees a conversation's messages in seq order and a user's
/// events without gaps (SignalR writes to one connection in the order the writes start).
/// </summary>
internal sealed class BaselineHub(BaselineState state) : Hub
{
    /// <summary>Like the chat system: read receipts go to everyone only in conversations up to this size.</summary>
    private const int ReceiptFanOutMaxParticipants = 100;

    private BaselineUser Me => state.ById(Guid.Parse(Context.UserIdentifier!)) ?? throw Error(ChatErrorCodes.Unauthorized, "Unknown user.");

    public ChatMessage SendMessage(Guid conversationId, SendMessageRequest message)
    {
        var me = Me;
        var conversation = Member(conversationId, me);
        if (string.IsNullOrEmpty(message.Content))
        {
            throw Error(ChatErrorCodes.EmptyMessage, "A message needs content.");
        }

        lock (conversation.Gate)
        {
            var sent = conversation.Append(seq => new ChatMessage(
                Guid.NewGuid(), conversationId, seq, me.Id, me.Summary, MessageType.Text, message.Content,
                [], null, [], DateTimeOffset.UtcNow, null, null, message.ClientMessageId));
            Publish(conversation.Members, ChatEvents.MessageCreated, position => new MessageEvent
            {
                Type = ChatEvents.MessageCreated, Epoch = state.Epoch, Seq = position, ConversationId = conversationId, Message = sent,
            });
            return sent;
        }
    }

    public ChatMessage AddReaction(Guid conversationId, Guid messageId, string emoji)
    {
        var me = Me;
        var conversation = Member(conversationId, me);
        lock (conversation.Gate)
        {
            var message = conversation.Find(messageId) ?? throw Error(ChatErrorCodes.NotFound, "No such message among the newest.");
            var group = message.Reactions?.FirstOrDefault(r => r.Emoji == emoji);
            if (group?.UserIds.Contains(me.Id) == true)
            {
                return message;
            }

            var others = message.Reactions?.Where(r => r.Emoji != emoji) ?? [];
            var users = (IReadOnlyList<Guid>)[.. group?.UserIds ?? [], me.Id];
            var updated = message with { Reactions = [.. others, new ReactionGroup(emoji, users.Count, users)] };
            conversation.Replace(updated);
            Publish(conversation.Members, ChatEvents.MessageUpdated, position => new MessageEvent
            {
                Type = ChatEvents.MessageUpdated, Epoch = state.Epoch, Seq = position, ConversationId = conversationId, Message = updated,
            });
            return updated;
        }
    }

    public ReadState MarkRead(Guid conversationId, long? seq)
    {
        var me = Me;
        var conversation = Member(conversationId, me);
        var now = DateTimeOffset.UtcNow;
        lock (conversation.Gate)
        {
            if (conversation.MoveRead(me.Id, seq) is not { } read)
            {
                return new ReadState(conversationId, me.Id, Math.Min(seq ?? conversation.LastSeq, conversation.LastSeq), now, 0);
            }

            var recipients = conversation.Members.Length <= ReceiptFanOutMaxParticipants ? conversation.Members : [me];
            Publish(recipients, ChatEvents.ReadUpdated, position => new ReadUpdatedEvent
            {
                Type = ChatEvents.ReadUpdated, Epoch = state.Epoch, Seq = position, ConversationId = conversationId, UserId = me.Id, LastReadSeq = read, LastReadAt = now,
            });
            return new ReadState(conversationId, me.Id, read, now, (int)(conversation.LastSeq - read));
        }
    }

    /// <summary>Ephemeral: the other members' connections get <c>typing</c>, without a position.</summary>
    public Task Typing(Guid conversationId)
    {
        var me = Me;
        var conversation = Member(conversationId, me);
        var groups = conversation.Members.Where(m => m != me).Select(m => m.Group).ToArray();
        return Clients.Groups(groups).SendAsync(ChatEvents.Typing, new TypingEvent(conversationId, me.Id, me.Username));
    }

    /// <summary>
    /// The connection starts receiving the user's events here, not when it connects: joining under the
    /// user's lock splits the events exactly at the position answered. No log is kept, so a client behind
    /// that position (a reconnect) is told to resync.
    /// </summary>
    public ResumeResult Resume(long epoch, long seq)
    {
        var me = Me;
        lock (me.Gate)
        {
            _ = Groups.AddToGroupAsync(Context.ConnectionId, me.Group);
            var current = (epoch == 0 && seq == 0) || (epoch == state.Epoch && seq == me.EventSeq);
            return new ResumeResult(current ? [] : null, current ? null : true, state.Epoch, me.EventSeq);
        }
    }

    /// <summary>Sends each recipient the event at its next position.</summary>
    private void Publish(IEnumerable<BaselineUser> recipients, string name, Func<long, ChatEvent> create)
    {
        foreach (var user in recipients)
        {
            lock (user.Gate)
            {
                // Not awaited, like the chat system's push: the ack does not wait for deliveries.
                _ = Clients.Group(user.Group).SendAsync(name, create(++user.EventSeq));
            }
        }
    }

    private BaselineConversation Member(Guid conversationId, BaselineUser me)
    {
        var conversation = state.Conversation(conversationId) ?? throw Error(ChatErrorCodes.NotFound, "No such conversation.");
        return conversation.Has(me) ? conversation : throw Error(ChatErrorCodes.NotParticipant, "Not a participant of this conversation.");
    }

    /// <summary>The SPEC section 7 error as the hub error's message, as the chat hub sends it.</summary>
    private static HubException Error(string code, string message) =>
        new(JsonSerializer.Serialize(new ChatErrorEnvelope(new ChatError(code, message)), ChatJson.Options));
}
