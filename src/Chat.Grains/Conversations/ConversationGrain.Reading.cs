using System.Collections.Immutable;
using Chat.Grains.Diagnostics;
using Chat.Grains.Storage;
using Npgsql;

namespace Chat.Grains.Conversations;

/// <summary>History, receipts, read positions and personal settings.</summary>
internal sealed partial class ConversationGrain
{
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
        MoveDelivered(RequireParticipant(userId), seq);
        return Task.CompletedTask;
    }

    public Task MarkDeliveredMany(ImmutableArray<DeliveredMark> marks)
    {
        if (_state is null || marks.IsDefault)
        {
            return Task.CompletedTask;
        }

        foreach (var mark in marks)
        {
            if (_state.Participants.TryGetValue(mark.UserId, out var participant) && participant.IsActive)
            {
                MoveDelivered(participant, mark.Seq);
            }
        }

        return Task.CompletedTask;
    }

    private void MoveDelivered(Participant participant, long seq)
    {
        var target = Math.Min(seq, _state!.LastSeq);
        if (target > participant.LastDeliveredSeq)
        {
            // Off the send path: the silo's writer saves the receipts of all conversations together.
            participant.LastDeliveredSeq = target;
            _receipts.Record(Id, participant.UserId, target);
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
