using System.Collections.Immutable;
using Chat.Grains.Storage;
using Npgsql;

namespace Chat.Grains.Users;

/// <summary>
/// Builds a user's inbox from PostgreSQL, once per activation of the user grain (afterwards the
/// conversations keep it current). Produces exactly what <c>ConversationGrain</c> would send, so an
/// inbox is the same before and after a restart.
/// </summary>
internal static class InboxReader
{
    public sealed record Contact(PresenceStatus Status, DateTimeOffset? LastSeenAt);

    public static async Task<(List<InboxEntry> Entries, Dictionary<Guid, Contact> Contacts)> ReadAsync(
        NpgsqlConnection connection, Guid userId, int previewLength, int participantsShown, Guid? onlyConversation = null)
    {
        var rows = new List<Row>();
        await using (var command = connection.Command(
            "SELECT c.id, c.type, c.organization_id, c.name, c.created_at, p.role, p.last_read_seq, p.is_starred, p.is_muted, " +
            "lm.id, lm.seq, lm.sender_id, lm.type, lm.content, lm.created_at, lm.deleted_at, su.display_name, " +
            "(SELECT count(*) FROM message_attachments ma WHERE ma.message_id = lm.id)::int, " +
            "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.seq > p.last_read_seq AND m.type = 'text' " +
            " AND m.deleted_at IS NULL AND m.sender_id <> p.user_id)::int " +
            "FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id AND c.deleted_at IS NULL " +
            "LEFT JOIN LATERAL (SELECT * FROM messages m WHERE m.conversation_id = c.id ORDER BY m.seq DESC LIMIT 1) lm ON true " +
            "LEFT JOIN users su ON su.id = lm.sender_id " +
            "WHERE p.user_id = $1 AND p.left_at IS NULL AND ($2::uuid IS NULL OR c.id = $2)", null, Sql.Uuid(userId), Sql.Uuid(onlyConversation)))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                LastMessagePreview? last = null;
                if (!reader.IsDBNull(9))
                {
                    var deleted = !reader.IsDBNull(15);
                    last = new LastMessagePreview(
                        reader.GetGuid(9), reader.GetInt64(10), reader.GetGuidOrNull(11), reader.GetStringOrNull(16),
                        reader.GetString(12) == "system" ? MessageType.System : MessageType.Text,
                        deleted ? null : Preview(reader.GetString(13), previewLength),
                        reader.GetTime(14), deleted ? 0 : reader.GetInt32(17), deleted);
                }

                rows.Add(new Row(
                    reader.GetGuid(0), reader.GetString(1) == "direct" ? ConversationType.Direct : ConversationType.Group, reader.GetGuid(2),
                    reader.GetStringOrNull(3), reader.GetTime(4), EnumText.ParseRole(reader.GetString(5)) ?? Role.Member, reader.GetInt64(6),
                    reader.GetBoolean(7), reader.GetBoolean(8), last, reader.GetInt32(18)));
            }
        }

        var participants = new Dictionary<Guid, List<(Guid UserId, string DisplayName, string? AvatarUrl, bool Active)>>();
        var contacts = new Dictionary<Guid, Contact>();
        if (rows.Count > 0)
        {
            await using var command = connection.Command(
                "SELECT q.conversation_id, u.id, u.display_name, u.avatar_url, q.left_at IS NULL, u.status, u.last_seen_at " +
                "FROM conversation_participants q JOIN users u ON u.id = q.user_id WHERE q.conversation_id = ANY($1) " +
                "ORDER BY q.conversation_id, q.joined_at, u.id", null, rows.Select(r => r.Id).ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var conversationId = reader.GetGuid(0);
                if (!participants.TryGetValue(conversationId, out var list))
                {
                    participants[conversationId] = list = [];
                }

                var id = reader.GetGuid(1);
                list.Add((id, reader.GetString(2), reader.GetStringOrNull(3), reader.GetBoolean(4)));
                if (id != userId)
                {
                    contacts[id] = new Contact(EnumText.ParsePresence(reader.GetString(5)), reader.GetTimeOrNull(6));
                }
            }
        }

        var entries = new List<InboxEntry>(rows.Count);
        foreach (var row in rows)
        {
            var all = participants.GetValueOrDefault(row.Id) ?? [];
            var active = all.Where(p => p.Active).ToList();
            var me = all.FirstOrDefault(p => p.UserId == userId);
            var displayName = row.Type == ConversationType.Group
                ? row.Name ?? ""
                : all.Where(p => p.UserId != userId).Select(p => p.DisplayName).FirstOrDefault() ?? me.DisplayName ?? "";
            entries.Add(new InboxEntry(
                row.Id, row.Type, row.OrganizationId, row.Name, displayName,
                [.. active.Take(participantsShown).Select(p => new InboxParticipant(p.UserId, p.DisplayName, p.AvatarUrl, PresenceStatus.Offline))],
                active.Count, row.Last, row.Last?.CreatedAt ?? row.CreatedAt, row.Last?.Seq ?? 0, row.LastReadSeq, row.Unread,
                row.IsStarred, row.IsMuted, row.Role));
        }

        return (entries, contacts);
    }

    private static string Preview(string content, int length) => content.Length <= length ? content : content[..length];

    private sealed record Row(
        Guid Id, ConversationType Type, Guid OrganizationId, string? Name, DateTimeOffset CreatedAt, Role Role, long LastReadSeq,
        bool IsStarred, bool IsMuted, LastMessagePreview? Last, int Unread);
}
