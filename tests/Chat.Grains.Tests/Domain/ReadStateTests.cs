using Chat.Grains.Tests.Infrastructure;

namespace Chat.Grains.Tests.Domain;

/// <summary>SPEC section 5: read positions, unread counts, receipts and their events.</summary>
public sealed class ReadStateTests(ChatSiloFixture fixture) : IClassFixture<ChatSiloFixture>
{
    private ChatSilo Silo => fixture.Silo;

    [Fact]
    public async Task Unread_counts_others_live_messages_after_the_read_position_and_sending_marks_your_own_read()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var org = await Silo.OrganizationAsync(a, b);
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        await Silo.SendAsync(dm.Id, a, "one");
        var two = await Silo.SendAsync(dm.Id, a, "two");
        await Silo.SendAsync(dm.Id, a, "three");

        var bInbox = await Silo.InboxWhenAsync(b, i => i.Conversations.Any(e => e.ConversationId == dm.Id && e.UnreadCount == 3), "3 unread for b");
        Assert.Equal(3, bInbox.TotalUnread);
        var aEntry = (await Silo.User(a.Id).GetInbox().WaitAsync(ChatSilo.Timeout)).Conversations.Single(e => e.ConversationId == dm.Id);
        Assert.Equal(0, aEntry.UnreadCount);
        Assert.Equal(3, aEntry.LastReadSeq);

        await Silo.Conversation(dm.Id).DeleteMessage(a.Id, two.Id).WaitAsync(ChatSilo.Timeout);
        await Silo.InboxWhenAsync(b, i => i.Conversations.Single(e => e.ConversationId == dm.Id).UnreadCount == 2, "deleted messages do not count");

        var read = await Silo.Conversation(dm.Id).MarkRead(b.Id, 1).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(1, read.LastReadSeq);
        Assert.Equal(1, read.UnreadCount);
        var back = await Silo.Conversation(dm.Id).MarkRead(b.Id, 0).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(1, back.LastReadSeq);

        await Silo.SendAsync(dm.Id, b, "my reply marks everything read");
        var after = await Silo.InboxWhenAsync(b, i => i.Conversations.Single(e => e.ConversationId == dm.Id).UnreadCount == 0, "b read all by replying");
        Assert.Equal(0, after.TotalUnread);
        Assert.Equal(0, after.UnreadConversations);
    }

    [Fact]
    public async Task Mark_read_defaults_to_the_latest_and_tells_the_readers_devices_and_the_others()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var org = await Silo.OrganizationAsync(a, b);
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        await Silo.SendAsync(dm.Id, a, "one");
        await Silo.SendAsync(dm.Id, a, "two");

        var read = await Silo.Conversation(dm.Id).MarkRead(b.Id).WaitAsync(ChatSilo.Timeout);

        Assert.Equal(2, read.LastReadSeq);
        Assert.Equal(0, read.UnreadCount);
        await ChatSilo.EventuallyAsync(() => Task.FromResult(Silo.Events.EventsOf(b.Id)),
            e => e.Any(x => x.Event is ReadUpdatedEvent { LastReadSeq: 2 } r && r.UserId == b.Id)
                && e.Any(x => x.Event is UnreadChangedEvent { UnreadCount: 0, TotalUnread: 0 }), "b's own readUpdated and unreadChanged");
        await ChatSilo.EventuallyAsync(() => Task.FromResult(Silo.Events.EventsOf(a.Id)),
            e => e.Any(x => x.Event is ReadUpdatedEvent { LastReadSeq: 2 } r && r.UserId == b.Id), "a's receipt event");
        var seqs = Silo.Events.EventsOf(b.Id).Select(e => e.Seq).ToList();
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
    }

    [Fact]
    public async Task Receipts_show_sent_delivered_and_read_in_a_DM_and_read_by_N_of_M_in_a_group()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var c = await Silo.RegisterAsync("cat");
        var org = await Silo.OrganizationAsync(a, b, c);
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        var message = await Silo.SendAsync(dm.Id, a, "did you get this?");
        var conversation = Silo.Conversation(dm.Id);

        Assert.Equal("sent", (await conversation.GetReceipts(a.Id, message.Id).WaitAsync(ChatSilo.Timeout)).Status);
        await conversation.MarkDelivered(b.Id, message.Seq).WaitAsync(ChatSilo.Timeout);
        Assert.Equal("delivered", (await conversation.GetReceipts(a.Id, message.Id).WaitAsync(ChatSilo.Timeout)).Status);
        await conversation.MarkRead(b.Id).WaitAsync(ChatSilo.Timeout);
        var receipts = await conversation.GetReceipts(a.Id, message.Id).WaitAsync(ChatSilo.Timeout);
        Assert.Equal("read", receipts.Status);
        Assert.Equal(b.Id, Assert.Single(receipts.ReadBy).UserId);

        var group = await Silo.GroupAsync(org, a, "Receipts", b, c);
        var announcement = await Silo.SendAsync(group.Id, a, "all read this");
        await Silo.Conversation(group.Id).MarkRead(c.Id).WaitAsync(ChatSilo.Timeout);
        var groupReceipts = await Silo.Conversation(group.Id).GetReceipts(b.Id, announcement.Id).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(2, groupReceipts.RecipientCount);
        Assert.Equal(c.Id, Assert.Single(groupReceipts.ReadBy).UserId);
    }

    [Fact]
    public async Task Delivered_positions_are_saved_to_PostgreSQL_together_shortly_after_the_receipts_and_never_move_back()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var c = await Silo.RegisterAsync("cat");
        var org = await Silo.OrganizationAsync(a, b, c);
        var group = await Silo.GroupAsync(org, a, "Delivered", b, c);
        await Silo.SendAsync(group.Id, a, "one");
        var two = await Silo.SendAsync(group.Id, a, "two");
        var conversation = Silo.Conversation(group.Id);

        await conversation.MarkDelivered(b.Id, two.Seq).WaitAsync(ChatSilo.Timeout);
        await conversation.MarkDelivered(c.Id, two.Seq - 1).WaitAsync(ChatSilo.Timeout);
        await conversation.MarkDelivered(c.Id, two.Seq).WaitAsync(ChatSilo.Timeout);
        await conversation.MarkDelivered(b.Id, two.Seq - 1).WaitAsync(ChatSilo.Timeout);
        await conversation.MarkDelivered(b.Id, two.Seq + 100).WaitAsync(ChatSilo.Timeout);

        var saved = await ChatSilo.EventuallyAsync(
            () => DeliveredPositionsAsync(group.Id),
            positions => positions.GetValueOrDefault(b.Id) == two.Seq && positions.GetValueOrDefault(c.Id) == two.Seq,
            "both delivered positions saved");
        Assert.Equal(0, saved[a.Id]);
    }

    [Fact]
    public async Task Delivered_marks_reported_together_move_each_participant_forward_only_and_ignore_outsiders()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var c = await Silo.RegisterAsync("cat");
        var outsider = await Silo.RegisterAsync("oz");
        var org = await Silo.OrganizationAsync(a, b, c, outsider);
        var group = await Silo.GroupAsync(org, a, "Delivered together", b, c);
        await Silo.SendAsync(group.Id, a, "one");
        var two = await Silo.SendAsync(group.Id, a, "two");

        await Silo.Conversation(group.Id).MarkDeliveredMany(
            [new(b.Id, two.Seq), new(c.Id, two.Seq - 1), new(outsider.Id, two.Seq), new(b.Id, two.Seq - 1), new(c.Id, two.Seq + 50)])
            .WaitAsync(ChatSilo.Timeout);

        var saved = await ChatSilo.EventuallyAsync(
            () => DeliveredPositionsAsync(group.Id),
            positions => positions.GetValueOrDefault(b.Id) == two.Seq && positions.GetValueOrDefault(c.Id) == two.Seq,
            "both delivered positions saved, capped at the last message");
        Assert.False(saved.ContainsKey(outsider.Id));
        var receipts = await Silo.Conversation(group.Id).GetReceipts(a.Id, two.Id).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(2, receipts.DeliveredTo.Length);
    }

    [Fact]
    public async Task Delivered_positions_still_waiting_are_written_when_the_writer_is_disposed_and_a_failed_write_keeps_them()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var org = await Silo.OrganizationAsync(a, b);
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        var sent = await Silo.SendAsync(dm.Id, a, "one");

        // No timer ticks: only the failed write and the disposal below can write.
        var unreachable = NewWriter("Host=127.0.0.1;Port=1;Timeout=2");
        unreachable.Writer.Record(dm.Id, b.Id, sent.Seq);
        await unreachable.Writer.FlushAsync().WaitAsync(ChatSilo.Timeout);
        Assert.Equal(1, unreachable.Writer.PendingCount);
        await unreachable.DisposeAsync();

        var writer = NewWriter(fixture.ConnectionString);
        writer.Writer.Record(dm.Id, b.Id, sent.Seq);
        writer.Writer.Record(dm.Id, b.Id, sent.Seq - 1);
        Assert.Equal(0, (await DeliveredPositionsAsync(dm.Id))[b.Id]);
        await writer.DisposeAsync().AsTask().WaitAsync(ChatSilo.Timeout);
        Assert.Equal(sent.Seq, (await DeliveredPositionsAsync(dm.Id))[b.Id]);
    }

    private static OwnedWriter NewWriter(string connectionString)
    {
        var source = new Chat.ServiceDefaults.Database.ChatDataSource(Microsoft.Extensions.Options.Options.Create(
            new Chat.ServiceDefaults.Database.ChatDatabaseOptions { ConnectionString = connectionString }));
        var writer = new Conversations.DeliveredReceiptWriter(
            new Storage.ChatDatabase(source), new StoppedClock(), Microsoft.Extensions.Logging.Abstractions.NullLogger<Conversations.DeliveredReceiptWriter>.Instance);
        return new OwnedWriter(writer, source);
    }

    private sealed record OwnedWriter(Conversations.DeliveredReceiptWriter Writer, Chat.ServiceDefaults.Database.ChatDataSource Source) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Writer.DisposeAsync();
            await Source.DisposeAsync();
        }
    }

    /// <summary>System time whose timers never fire.</summary>
    private sealed class StoppedClock : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            base.CreateTimer(callback, state, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private async Task<Dictionary<Guid, long>> DeliveredPositionsAsync(Guid conversationId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT user_id, last_delivered_seq FROM conversation_participants WHERE conversation_id = $1", connection);
        command.Parameters.AddWithValue(conversationId);
        await using var reader = await command.ExecuteReaderAsync();
        var positions = new Dictionary<Guid, long>();
        while (await reader.ReadAsync())
        {
            positions[reader.GetGuid(0)] = reader.GetInt64(1);
        }

        return positions;
    }

    [Fact]
    public async Task Muted_conversations_still_count_unread()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var org = await Silo.OrganizationAsync(a, b);
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        await Silo.Conversation(dm.Id).UpdateSettings(b.Id, new ParticipantSettingsRequest(IsMuted: true)).WaitAsync(ChatSilo.Timeout);
        await Silo.SendAsync(dm.Id, a, "psst");

        var inbox = await Silo.InboxWhenAsync(b, i => i.TotalUnread == 1, "muted unread");
        Assert.True(inbox.Conversations.Single().IsMuted);
        Assert.Equal(1, inbox.UnreadConversations);
    }
}
