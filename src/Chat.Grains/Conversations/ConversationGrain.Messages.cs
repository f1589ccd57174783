using System.Collections.Immutable;
using System.Text;
using Chat.Grains.Diagnostics;
using Chat.Grains.Storage;
using Npgsql;

namespace Chat.Grains.Conversations;

/// <summary>Sending, editing, deleting and reacting.</summary>
internal sealed partial class ConversationGrain
{
    public async Task<SendMessageResult> SendMessage(Guid userId, SendMessageRequest message)
    {
        var turn = _gate.Current;
        var me = RequireParticipant(userId);
        var clientId = message.ClientMessageId?.Trim() ?? "";
        if (clientId.Length == 0 || clientId.Length > _limits.ClientMessageIdMaxLength)
        {
            throw ChatException.Validation("clientMessageId", $"clientMessageId has 1 to {_limits.ClientMessageIdMaxLength} characters.");
        }

        // An idempotent retry returns the original and creates nothing. It tells the participants
        // again: the first attempt may have died (with its silo) before everyone was told, which is
        // why the client retried; frontends drop what they already delivered.
        if (_byClientId.TryGetValue((userId, clientId), out var original))
        {
            await NotifyMessageAsync(UserEventTypes.MessageCreated, original);
            return new SendMessageResult(Dto(original), Created: false, RateLimit: null);
        }

        var content = message.Content ?? "";
        var attachmentIds = (message.AttachmentIds.IsDefault ? [] : message.AttachmentIds).Distinct().ToList();
        if (content.Length > _limits.MessageMaxLength)
        {
            throw ChatException.Validation("content", $"A message has at most {_limits.MessageMaxLength} characters.");
        }

        if (string.IsNullOrWhiteSpace(content) && attachmentIds.Count == 0)
        {
            throw new ChatException(ChatErrorCodes.EmptyMessage, "A message needs text or at least one attachment.");
        }

        if (attachmentIds.Count > _limits.AttachmentsPerMessage)
        {
            throw ChatException.Validation("attachmentIds", $"A message has at most {_limits.AttachmentsPerMessage} attachments.");
        }

        await using var connection = await _database.OpenAsync();
        var attachments = attachmentIds.Count == 0 ? [] : await ClaimableAttachmentsAsync(connection, userId, attachmentIds);
        ReplyPreview? reply = null;
        if (message.ReplyToId is { } replyToId)
        {
            var target = _byId.GetValueOrDefault(replyToId) ?? await MessageReader.ReadByIdAsync(connection, Id, replyToId);
            if (target is null || target.IsDeleted)
            {
                throw ChatException.Validation("replyToId", "The message replied to does not exist in this conversation.");
            }

            reply = MessageReader.ReplyPreviewOf(target.Id, target.Seq, target.Content, deleted: false);
        }

        // Counted by the user's grain, so the limit holds whichever frontend or transport the user uses.
        var rateLimit = await UserGrain(userId).AcquireSendPermit();

        var state = _state!;
        var now = Clock.Now(_time);
        var stored = new StoredMessage
        {
            Id = Guid.CreateVersion7(now),
            ConversationId = Id,
            Seq = state.LastSeq + 1,
            SenderId = userId,
            Type = MessageType.Text,
            Content = content,
            ReplyToId = message.ReplyToId,
            ReplyTo = reply,
            ClientMessageId = clientId,
            CreatedAt = now,
            Attachments = attachments,
        };

        try
        {
            // One statement, so one round trip and its own transaction: the message, its attachments
            // and the sender's read position (sending marks the sender's own read position to it).
            await connection.ExecuteAsync(
                "WITH m AS (INSERT INTO messages (id, conversation_id, seq, sender_id, type, content, reply_to_id, client_message_id, created_at) " +
                "VALUES ($1, $2, $3, $4, 'text', $5, $6, $7, $8)), " +
                "a AS (INSERT INTO message_attachments (message_id, attachment_id, position) SELECT $1, t.a, t.p::int - 1 FROM unnest($9::uuid[]) WITH ORDINALITY AS t(a, p)) " +
                "UPDATE conversation_participants SET last_read_seq = GREATEST(last_read_seq, $3), last_read_at = $8 WHERE conversation_id = $2 AND user_id = $4",
                null,
                Sql.Uuid(stored.Id), Sql.Uuid(Id), stored.Seq, Sql.Uuid(userId), stored.Content, Sql.Uuid(stored.ReplyToId), Sql.Text(clientId),
                Sql.Time(now), attachments.Length == 0 ? Array.Empty<Guid>() : attachments.Select(a => a.Id).ToArray());
        }
        catch (PostgresException exception) when (exception.IsUniqueViolation())
        {
            return await ResolveSendConflictAsync(connection, exception, userId, clientId);
        }

        state.LastSeq = stored.Seq;
        _metrics.MessageStored();
        Remember(stored);
        foreach (var participant in state.Active)
        {
            if (participant.UserId == userId)
            {
                participant.LastReadSeq = stored.Seq;
                participant.LastReadAt = now;
                participant.Unread = 0;
            }
            else
            {
                participant.Unread++;
            }
        }

        // The message is durable: give the connection back, start telling the participants, and let
        // the next message be committed while they are told; the sender's ack waits for them.
        await connection.CloseAsync();
        var result = new SendMessageResult(Dto(stored), Created: true, rateLimit);
        var told = NotifyMessageAsync(UserEventTypes.MessageCreated, stored);
        turn?.Release();
        await told;
        return result;
    }

    /// <summary>
    /// A unique key refused the insert. If the client message id is already stored (a concurrent
    /// duplicate, possibly through another activation) that message is the answer; otherwise another
    /// activation took the seq, so this one is stale and must go.
    /// </summary>
    private async Task<SendMessageResult> ResolveSendConflictAsync(NpgsqlConnection connection, PostgresException exception, Guid userId, string clientId)
    {
        var existing = await MessageReader.ReadByClientIdAsync(connection, Id, userId, clientId);
        if (existing is not null)
        {
            if (existing.Seq > _state!.LastSeq)
            {
                ChatLog.StaleConversationActivation(_logger, Id, existing.Seq);
                DeactivateOnIdle();
            }

            return new SendMessageResult(Dto(existing), Created: false, RateLimit: null);
        }

        if (exception.ConstraintName == "message_attachments_attachment_id_key")
        {
            throw ChatException.Validation("attachmentIds", "An attachment was already sent with another message.");
        }

        ChatLog.StaleConversationActivation(_logger, Id, _state!.LastSeq + 1);
        throw new InconsistentStateException($"Conversation {Id}: seq {_state.LastSeq + 1} was written by another activation.");
    }

    /// <summary>The caller's own uploads that no message references yet, checked against the size limits.</summary>
    private async Task<ImmutableArray<AttachmentInfo>> ClaimableAttachmentsAsync(NpgsqlConnection connection, Guid userId, List<Guid> ids)
    {
        var found = new Dictionary<Guid, AttachmentInfo>();
        await using (var command = connection.Command(
            "SELECT a.id, a.name, a.content_type, a.size FROM attachments a WHERE a.id = ANY($1) AND a.uploader_id = $2 " +
            "AND NOT EXISTS (SELECT 1 FROM message_attachments ma WHERE ma.attachment_id = a.id)", null, ids.ToArray(), Sql.Uuid(userId)))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                found[reader.GetGuid(0)] = new AttachmentInfo(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3));
            }
        }

        if (ids.Any(id => !found.ContainsKey(id)))
        {
            throw ChatException.Validation("attachmentIds", "Attach only your own uploads that were not sent yet.");
        }

        if (found.Values.Sum(a => a.Size) > _limits.AttachmentsTotalMaxBytes)
        {
            throw new ChatException(ChatErrorCodes.FileTooLarge, $"The attachments of a message are at most {_limits.AttachmentsTotalMaxBytes} bytes together.");
        }

        return [.. ids.Select(id => found[id])];
    }

    public async Task<MessageDto> EditMessage(Guid userId, Guid messageId, string content)
    {
        RequireParticipant(userId);
        var message = await RequireMessageAsync(messageId);
        if (message.SenderId != userId || message.Type != MessageType.Text)
        {
            throw ChatException.Forbidden("Only the sender can edit a message.");
        }

        if (message.IsDeleted)
        {
            throw ChatException.Conflict("The message was deleted.");
        }

        content ??= "";
        if (content.Length > _limits.MessageMaxLength)
        {
            throw ChatException.Validation("content", $"A message has at most {_limits.MessageMaxLength} characters.");
        }

        if (string.IsNullOrWhiteSpace(content) && message.Attachments.Length == 0)
        {
            throw new ChatException(ChatErrorCodes.EmptyMessage, "A message needs text or at least one attachment.");
        }

        if (content == message.Content)
        {
            return Dto(message);
        }

        var now = Clock.Now(_time);
        await using (var connection = await _database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            try
            {
                // The history row's key (message, version) and the content condition make a stale activation fail.
                await connection.ExecuteAsync(
                    "INSERT INTO message_edits (message_id, version, previous_content, edited_by, edited_at) VALUES ($1, $2, $3, $4, $5)",
                    transaction, Sql.Uuid(messageId), message.EditCount + 1, message.Content, Sql.Uuid(userId), Sql.Time(now));
            }
            catch (PostgresException exception) when (exception.IsUniqueViolation())
            {
                throw new InconsistentStateException($"Message {messageId} was edited by another activation.");
            }

            var updated = await connection.ExecuteAsync(
                "UPDATE messages SET content = $2, edited_at = $3 WHERE id = $1 AND deleted_at IS NULL AND content = $4",
                transaction, Sql.Uuid(messageId), content, Sql.Time(now), message.Content);
            if (updated != 1)
            {
                throw new InconsistentStateException($"Message {messageId} changed in another activation.");
            }

            await transaction.CommitAsync();
        }

        message.Content = content;
        message.EditedAt = now;
        message.EditCount++;
        RefreshReplies(message);
        await NotifyIfKnownAsync(UserEventTypes.MessageUpdated, message);
        return Dto(message);
    }

    public async Task<MessageDto> DeleteMessage(Guid userId, Guid messageId)
    {
        var me = RequireParticipant(userId);
        var message = await RequireMessageAsync(messageId);
        var moderator = _state!.Type == ConversationType.Group && me.Role >= Role.Admin;
        if (message.SenderId != userId && !moderator)
        {
            throw ChatException.Forbidden("Only the sender, or an owner or admin of the group, can delete a message.");
        }

        if (message.IsDeleted)
        {
            return Dto(message);
        }

        var now = Clock.Now(_time);
        await using (var connection = await _database.OpenAsync())
        {
            // The row, its content and its history stay for audit; clients get a tombstone.
            await connection.ExecuteAsync("UPDATE messages SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL", null, Sql.Uuid(messageId), Sql.Time(now));
        }

        message.DeletedAt = now;
        foreach (var participant in _state.Active)
        {
            if (participant.LastReadSeq < message.Seq && message.Type == MessageType.Text && message.SenderId != participant.UserId)
            {
                participant.Unread = Math.Max(0, participant.Unread - 1);
            }
        }

        RefreshReplies(message);
        await NotifyIfKnownAsync(UserEventTypes.MessageDeleted, message);
        return Dto(message);
    }

    public Task<MessageDto> AddReaction(Guid userId, Guid messageId, string emoji) => ReactAsync(userId, messageId, emoji, add: true);

    public Task<MessageDto> RemoveReaction(Guid userId, Guid messageId, string emoji) => ReactAsync(userId, messageId, emoji, add: false);

    private async Task<MessageDto> ReactAsync(Guid userId, Guid messageId, string emoji, bool add)
    {
        RequireParticipant(userId);
        if (string.IsNullOrWhiteSpace(emoji) || Encoding.UTF8.GetByteCount(emoji) > _limits.EmojiMaxBytes || emoji.Any(char.IsControl))
        {
            throw ChatException.Validation("emoji", $"An emoji is 1 to {_limits.EmojiMaxBytes} bytes of visible text.");
        }

        var message = await RequireMessageAsync(messageId);
        if (message.IsDeleted)
        {
            throw ChatException.Conflict("The message was deleted.");
        }

        var present = message.Reactions.Contains((userId, emoji));
        if (present == add)
        {
            return Dto(message);
        }

        await using (var connection = await _database.OpenAsync())
        {
            if (add)
            {
                await connection.ExecuteAsync(
                    "INSERT INTO message_reactions (message_id, user_id, emoji, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    null, Sql.Uuid(messageId), Sql.Uuid(userId), emoji, Sql.Time(Clock.Now(_time)));
            }
            else
            {
                await connection.ExecuteAsync("DELETE FROM message_reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
                    null, Sql.Uuid(messageId), Sql.Uuid(userId), emoji);
            }
        }

        if (add)
        {
            message.Reactions.Add((userId, emoji));
        }
        else
        {
            message.Reactions.Remove((userId, emoji));
        }

        await NotifyIfKnownAsync(UserEventTypes.MessageUpdated, message);
        return Dto(message);
    }

    /// <summary>Keeps the reply previews in memory pointing at the current state of their target.</summary>
    private void RefreshReplies(StoredMessage target)
    {
        var preview = MessageReader.ReplyPreviewOf(target.Id, target.Seq, target.Content, target.IsDeleted);
        foreach (var message in _window)
        {
            if (message.ReplyToId == target.Id)
            {
                message.ReplyTo = preview;
            }
        }
    }

    private Task NotifyIfKnownAsync(string kind, StoredMessage message) => NotifyMessageAsync(kind, message);
}
