using System.Collections.Immutable;
using Chat.Grains.Storage;
using Npgsql;

namespace Chat.Grains.Conversations;

/// <summary>Reads messages with their attachments, reactions, reply targets and edit counts.</summary>
internal static class MessageReader
{
    private const string Columns =
        "m.id, m.conversation_id, m.seq, m.sender_id, m.type, m.content, m.system_event, m.reply_to_id, m.client_message_id, " +
        "m.created_at, m.edited_at, m.deleted_at, r.seq, r.content, r.deleted_at, " +
        "(SELECT count(*) FROM message_edits e WHERE e.message_id = m.id)::int";

    public const int ReplyPreviewLength = 100;

    /// <summary>Messages of a conversation with <paramref name="fromSeq"/> ≤ seq ≤ <paramref name="toSeq"/>, ascending.</summary>
    public static Task<List<StoredMessage>> ReadRangeAsync(NpgsqlConnection connection, Guid conversationId, long fromSeq, long toSeq) =>
        ReadAsync(connection, $"SELECT {Columns} FROM messages m LEFT JOIN messages r ON r.id = m.reply_to_id " +
            "WHERE m.conversation_id = $1 AND m.seq BETWEEN $2 AND $3 ORDER BY m.seq",
            Sql.Uuid(conversationId), fromSeq, toSeq);

    /// <summary>The newest <paramref name="count"/> messages of a conversation, ascending.</summary>
    public static async Task<List<StoredMessage>> ReadLatestAsync(NpgsqlConnection connection, Guid conversationId, int count)
    {
        var messages = await ReadAsync(connection, $"SELECT {Columns} FROM messages m LEFT JOIN messages r ON r.id = m.reply_to_id " +
            "WHERE m.conversation_id = $1 ORDER BY m.seq DESC LIMIT $2", Sql.Uuid(conversationId), count).ConfigureAwait(false);
        messages.Reverse();
        return messages;
    }

    /// <summary>One message of a conversation by id, or null.</summary>
    public static async Task<StoredMessage?> ReadByIdAsync(NpgsqlConnection connection, Guid conversationId, Guid messageId) =>
        (await ReadAsync(connection, $"SELECT {Columns} FROM messages m LEFT JOIN messages r ON r.id = m.reply_to_id " +
            "WHERE m.conversation_id = $1 AND m.id = $2", Sql.Uuid(conversationId), Sql.Uuid(messageId)).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>One message of a conversation by its sender's client message id, or null.</summary>
    public static async Task<StoredMessage?> ReadByClientIdAsync(NpgsqlConnection connection, Guid conversationId, Guid senderId, string clientMessageId) =>
        (await ReadAsync(connection, $"SELECT {Columns} FROM messages m LEFT JOIN messages r ON r.id = m.reply_to_id " +
            "WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.client_message_id = $3",
            Sql.Uuid(conversationId), Sql.Uuid(senderId), Sql.Text(clientMessageId)).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>Messages by id in the given order (search results).</summary>
    public static async Task<List<StoredMessage>> ReadByIdsAsync(NpgsqlConnection connection, IReadOnlyList<Guid> ids)
    {
        var messages = await ReadAsync(connection, $"SELECT {Columns} FROM messages m LEFT JOIN messages r ON r.id = m.reply_to_id WHERE m.id = ANY($1)",
            ids.ToArray()).ConfigureAwait(false);
        var order = ids.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        messages.Sort((a, b) => order[a.Id].CompareTo(order[b.Id]));
        return messages;
    }

    private static async Task<List<StoredMessage>> ReadAsync(NpgsqlConnection connection, string sql, params object?[] args)
    {
        var messages = new List<StoredMessage>();
        await using (var command = connection.Command(sql, null, args))
        await using (var reader = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                var replyToId = reader.GetGuidOrNull(7);
                messages.Add(new StoredMessage
                {
                    Id = reader.GetGuid(0),
                    ConversationId = reader.GetGuid(1),
                    Seq = reader.GetInt64(2),
                    SenderId = reader.GetGuidOrNull(3),
                    Type = reader.GetString(4) == "system" ? MessageType.System : MessageType.Text,
                    Content = reader.GetString(5),
                    SystemEvent = reader.GetStringOrNull(6),
                    ReplyToId = replyToId,
                    ClientMessageId = reader.GetStringOrNull(8),
                    CreatedAt = reader.GetTime(9),
                    EditedAt = reader.GetTimeOrNull(10),
                    DeletedAt = reader.GetTimeOrNull(11),
                    ReplyTo = replyToId is { } target && !reader.IsDBNull(12)
                        ? ReplyPreviewOf(target, reader.GetInt64(12), reader.GetString(13), !reader.IsDBNull(14))
                        : null,
                    EditCount = reader.GetInt32(15),
                });
            }
        }

        if (messages.Count == 0)
        {
            return messages;
        }

        var byId = messages.ToDictionary(m => m.Id);
        var ids = byId.Keys.ToArray();
        var attachments = new Dictionary<Guid, ImmutableArray<AttachmentInfo>.Builder>();
        await using (var command = connection.Command(
            "SELECT ma.message_id, a.id, a.name, a.content_type, a.size FROM message_attachments ma JOIN attachments a ON a.id = ma.attachment_id " +
            "WHERE ma.message_id = ANY($1) ORDER BY ma.message_id, ma.position", null, ids))
        await using (var reader = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                var messageId = reader.GetGuid(0);
                if (!attachments.TryGetValue(messageId, out var builder))
                {
                    attachments[messageId] = builder = ImmutableArray.CreateBuilder<AttachmentInfo>();
                }

                builder.Add(new AttachmentInfo(reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4)));
            }
        }

        foreach (var (messageId, builder) in attachments)
        {
            byId[messageId].Attachments = builder.ToImmutable();
        }

        await using (var command = connection.Command(
            "SELECT message_id, user_id, emoji FROM message_reactions WHERE message_id = ANY($1) ORDER BY created_at, user_id, emoji", null, ids))
        await using (var reader = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                byId[reader.GetGuid(0)].Reactions.Add((reader.GetGuid(1), reader.GetString(2)));
            }
        }

        return messages;
    }

    public static ReplyPreview ReplyPreviewOf(Guid id, long seq, string content, bool deleted) =>
        new(id, seq, deleted ? null : StoredMessage.Preview(content, ReplyPreviewLength), deleted);
}
