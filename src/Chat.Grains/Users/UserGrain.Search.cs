using System.Globalization;
using Chat.Grains.Conversations;
using Chat.Grains.Storage;

namespace Chat.Grains.Users;

/// <summary>
/// Full-text search over the messages of the conversations the user actively takes part in. The
/// scope is checked in SQL against the participations and organization memberships themselves, so
/// a removed participant or member finds nothing the moment the removal committed.
/// </summary>
internal sealed partial class UserGrain
{
    public async Task<SearchResult> Search(SearchQuery query)
    {
        RequireProfile();
        var text = query.Query?.Trim() ?? "";
        if (text.Length == 0 || text.Length > _limits.SearchQueryMaxLength)
        {
            throw ChatException.Validation("q", $"A search has 1 to {_limits.SearchQueryMaxLength} characters.");
        }

        var limit = query.Limit ?? _limits.DefaultPageSize;
        if (limit < 1 || limit > _limits.MaxPageSize)
        {
            throw ChatException.Validation("limit", $"limit is between 1 and {_limits.MaxPageSize}.");
        }

        DateTimeOffset? beforeTime = null;
        Guid? beforeId = null;
        if (!string.IsNullOrEmpty(query.Before))
        {
            (beforeTime, beforeId) = ParseCursor(query.Before);
        }

        var ids = new List<Guid>();
        await using var connection = await _database.OpenAsync();
        await using (var command = connection.Command(
            "SELECT m.id, m.created_at FROM messages m " +
            "JOIN conversation_participants p ON p.conversation_id = m.conversation_id AND p.user_id = $1 AND p.left_at IS NULL " +
            "JOIN conversations c ON c.id = m.conversation_id AND c.deleted_at IS NULL " +
            "JOIN organization_members om ON om.organization_id = c.organization_id AND om.user_id = $1 " +
            "WHERE m.search @@ websearch_to_tsquery('simple', $2) AND m.deleted_at IS NULL AND m.type = 'text' " +
            "AND ($3::uuid IS NULL OR m.conversation_id = $3) " +
            "AND ($4::timestamptz IS NULL OR (m.created_at, m.id) < ($4, $5::uuid)) " +
            "ORDER BY m.created_at DESC, m.id DESC LIMIT $6",
            null, Sql.Uuid(Id), text, Sql.Uuid(query.ConversationId), Sql.Time(beforeTime), Sql.Uuid(beforeId), limit + 1))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetGuid(0));
            }
        }

        var hasMore = ids.Count > limit;
        if (hasMore)
        {
            ids.RemoveAt(ids.Count - 1);
        }

        var messages = await MessageReader.ReadByIdsAsync(connection, ids);
        var senders = new Dictionary<Guid, UserSummary>();
        var senderIds = messages.Where(m => m.SenderId.HasValue).Select(m => m.SenderId!.Value).Distinct().ToArray();
        if (senderIds.Length > 0)
        {
            await using var command = connection.Command("SELECT id, display_name, avatar_url FROM users WHERE id = ANY($1)", null, senderIds);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                senders[reader.GetGuid(0)] = new UserSummary(reader.GetGuid(0), reader.GetString(1), reader.GetStringOrNull(2));
            }
        }

        var dtos = messages.Select(m => m.ToDto(m.SenderId is { } s ? senders.GetValueOrDefault(s) : null)).ToList();
        var last = messages.LastOrDefault();
        return new SearchResult([.. dtos], hasMore, hasMore && last is not null ? FormatCursor(last.CreatedAt, last.Id) : null);
    }

    private static string FormatCursor(DateTimeOffset createdAt, Guid id) =>
        string.Create(CultureInfo.InvariantCulture, $"{createdAt.UtcTicks}_{id:N}");

    private static (DateTimeOffset, Guid) ParseCursor(string cursor)
    {
        var parts = cursor.Split('_');
        if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks
            && Guid.TryParseExact(parts[1], "N", out var id))
        {
            return (new DateTimeOffset(ticks, TimeSpan.Zero), id);
        }

        throw ChatException.Validation("before", "before is a cursor returned by a previous search.");
    }
}
