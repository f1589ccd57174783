using System.Collections.Immutable;
using Chat.Grains.Diagnostics;
using Chat.Grains.Storage;
using Chat.Runtime;
using Chat.Runtime.Timers;
using Npgsql;

namespace Chat.Grains.Conversations;

/// <summary>History, receipts, read positions and personal settings.</summary>
internal sealed partial class ConversationGrain
{
    /// <summary>How long a delivered receipt waits in memory for others to be written with it.</summary>
    private static readonly TimeSpan DeliveredSaveDelay = TimeSpan.FromSeconds(1);

    /// <summary>Participants whose delivered position moved since the last save.</summary>
    private readonly HashSet<Guid> _deliveredUnsaved = [];
    private IGrainTimer? _deliveredFlush;

    public async Task<MessagePage> GetMessages(Guid userId, HistoryQuery query)
    {
        RequireParticipant(userId);
        var state = _state!;
        var limit = query.Limit ?? _limits.DefaultPageSize;
        if (limit < 1 || limit > _limits.MaxPageSize)
        {
            throw ChatException.Validation("limit", $"limit is between 1 and {_limits.MaxPageSize}.");
        }

        if (query.Before is not null && query.After is not null)
        {
            throw ChatException.Validation("before", "Use either before or after, not both.");
        }

        if (query.Before is < 1 || query.After is < 0)
        {
            throw ChatException.Validation(query.Before is not null ? "before" : "after", "A seq cursor cannot be negative.");
        }

        // Seqs are gapless, so a page is a seq range.
        long from, to;
        bool hasMore;
        if (query.After is { } after)
        {
            from = after + 1;
            to = Math.Min(state.LastSeq, after + limit);
            hasMore = to < state.LastSeq;
        }
        else
        {
            to = Math.Min(state.LastSeq, (query.Before ?? long.MaxValue) - 1);
            from = Math.Max(1, to - limit + 1);
            hasMore = from > 1;
        }

        if (from > to)
        {
            return new MessagePage([], false);
        }

        var messages = new List<StoredMessage>((int)(to - from + 1));
        if (from < WindowStart)
        {
            // Older than the in-memory window: the same page, from PostgreSQL.
            await using var connection = await _database.OpenAsync();
            messages.AddRange(await MessageReader.ReadRangeAsync(connection, Id, from, Math.Min(to, WindowStart - 1)));
        }

        messages.AddRange(_window.Where(m => m.Seq >= from && m.Seq <= to));
        return new MessagePage([.. messages.Select(Dto)], hasMore);
    }

    public async Task<MessageReceipts> GetReceipts(Guid userId, Guid messageId)
    {
        RequireParticipant(userId);
        var message = await RequireMessageAsync(messageId);
        var recipients = ActiveOrdered().Where(p => p.UserId != message.SenderId).ToList();
        var readBy = recipients.Where(p => p.LastReadSeq >= message.Seq).Select(p => new ReceiptEntry(p.UserId, p.LastReadAt)).ToImmutableArray();
        var deliveredTo = recipients.Where(p => Math.Max(p.LastDeliveredSeq, p.LastReadSeq) >= message.Seq)
            .Select(p => new ReceiptEntry(p.UserId, null)).ToImmutableArray();
        var status = recipients.Count > 0 && readBy.Length == recipients.Count ? "read"
            : deliveredTo.Length > 0 ? "delivered"
            : "sent";
        return new MessageReceipts(message.Id, message.Seq, status, recipients.Count, readBy, deliveredTo);
    }

    public async Task<ReadState> MarkRead(Guid userId, long? seq = null)
    {
        var me = RequireParticipant(userId);
        var state = _state!;
        if (seq is < 0)
        {
            throw ChatException.Validation("seq", "seq cannot be negative.");
        }

        var target = Math.Min(seq ?? state.LastSeq, state.LastSeq);
        if (target <= me.LastReadSeq)
        {
            // Read positions never move back.
            return new ReadState(Id, userId, me.LastReadSeq, me.LastReadAt, me.Unread);
        }

        var now = Clock.Now(_time);
        int unread;
        await using (var connection = await _database.OpenAsync())
        {
            await connection.ExecuteAsync(
                "UPDATE conversation_participants SET last_read_seq = GREATEST(last_read_seq, $3), last_read_at = $4 WHERE conversation_id = $1 AND user_id = $2",
                null, Sql.Uuid(Id), Sql.Uuid(userId), target, Sql.Time(now));
            unread = target + 1 >= WindowStart
                ? _window.Count(m => m.Seq > target && m.CountsAsUnreadFor(userId))
                : await connection.ScalarAsync<int>(
                    "SELECT count(*)::int FROM messages WHERE conversation_id = $1 AND seq > $2 AND type = 'text' AND deleted_at IS NULL AND sender_id <> $3",
                    null, Sql.Uuid(Id), target, Sql.Uuid(userId));
        }

        me.LastReadSeq = target;
        me.LastReadAt = now;
        me.Unread = unread;
        await NotifyReadAsync(me);
        return new ReadState(Id, userId, target, now, unread);
    }

    /// <summary>Tells the reader's other devices, and (in conversations small enough) the others for receipts.</summary>
    private Task NotifyReadAsync(Participant reader)
    {
        var active = _state!.Active.ToList();
        var fanOut = active.Count <= _limits.ReceiptFanOutMaxParticipants;
        var told = new List<Task>();
        foreach (var participant in active)
        {
            if (participant.UserId == reader.UserId)
            {
                var own = new ReadNotice(Id, reader.UserId, reader.LastReadSeq, reader.LastReadAt, reader.Unread);
                told.Add(TellAsync(participant.UserId, user => user.OnRead(own)));
            }
            else if (fanOut)
            {
                var receipt = new ReadNotice(Id, reader.UserId, reader.LastReadSeq, reader.LastReadAt, null);
                told.Add(TellAsync(participant.UserId, user => user.OnRead(receipt)));
            }
        }

        return Task.WhenAll(told);
    }

    public Task MarkDelivered(Guid userId, long seq)
    {
        var me = RequireParticipant(userId);
        var target = Math.Min(seq, _state!.LastSeq);
        if (target > me.LastDeliveredSeq)
        {
            // Receipts come per message and recipient (a 500-member group: 500 per message), so they
            // are kept in memory and written together a moment later, off the send path. A crash
            // loses at most that moment of "delivered" ticks, never a message or a read position.
            me.LastDeliveredSeq = target;
            _deliveredUnsaved.Add(userId);
            _deliveredFlush ??= RegisterGrainTimer(_ => SaveDeliveredAsync(), DeliveredSaveDelay, Timeout.InfiniteTimeSpan);
        }

        return Task.CompletedTask;
    }

    /// <summary>Writes the delivered positions that moved since the last save, in one statement.</summary>
    private async Task SaveDeliveredAsync()
    {
        _deliveredFlush?.Dispose();
        _deliveredFlush = null;
        if (_deliveredUnsaved.Count == 0 || _state is null)
        {
            return;
        }

        var users = _deliveredUnsaved.ToArray();
        var seqs = users.Select(u => _state.Participants[u].LastDeliveredSeq).ToArray();
        try
        {
            await using var connection = await _database.OpenAsync();
            await connection.ExecuteAsync(
                "UPDATE conversation_participants p SET last_delivered_seq = GREATEST(p.last_delivered_seq, d.seq) " +
                "FROM unnest($2::uuid[], $3::bigint[]) AS d(user_id, seq) WHERE p.conversation_id = $1 AND p.user_id = d.user_id",
                null, Sql.Uuid(Id), users, seqs);
            for (var i = 0; i < users.Length; i++)
            {
                // A receipt that interleaved with the write and moved a position further stays unsaved.
                if (_state.Participants[users[i]].LastDeliveredSeq == seqs[i])
                {
                    _deliveredUnsaved.Remove(users[i]);
                }
            }
        }
        catch (NpgsqlException exception)
        {
            // Kept for the next save (the next receipt, or deactivation).
            ChatLog.DeliveredSaveFailed(_logger, Id, exception);
        }
    }

    public async Task<MyParticipation> UpdateSettings(Guid userId, ParticipantSettingsRequest settings)
    {
        var me = RequireParticipant(userId);
        var starred = settings.IsStarred ?? me.IsStarred;
        var muted = settings.IsMuted ?? me.IsMuted;
        if (starred == me.IsStarred && muted == me.IsMuted)
        {
            return Mine(me);
        }

        await using (var connection = await _database.OpenAsync())
        {
            await connection.ExecuteAsync(
                "UPDATE conversation_participants SET is_starred = $3, is_muted = $4 WHERE conversation_id = $1 AND user_id = $2",
                null, Sql.Uuid(Id), Sql.Uuid(userId), starred, muted);
        }

        me.IsStarred = starred;
        me.IsMuted = muted;
        await NotifyConversationAsync(me, added: false);
        return Mine(me);
    }
}
