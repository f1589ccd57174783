using System.Collections.Immutable;
using Chat.Grains.Tests.Infrastructure;
using Npgsql;

namespace Chat.Grains.Tests.Domain;

/// <summary>SPEC section 4: messages, idempotency, edits, deletes, reactions, replies, history.</summary>
public sealed class MessageTests(ChatSiloFixture fixture) : IClassFixture<ChatSiloFixture>
{
    private ChatSilo Silo => fixture.Silo;

    private async Task<(UserProfile A, UserProfile B, UserProfile C, Guid Org, ConversationDetails Group)> GroupAsync()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var c = await Silo.RegisterAsync("cat");
        var org = await Silo.OrganizationAsync(a, b, c);
        return (a, b, c, org, await Silo.GroupAsync(org, a, "Messages", b, c));
    }

    [Fact]
    public async Task Concurrent_sends_are_acknowledged_and_every_participant_is_told_each_message_once_in_seq_order()
    {
        // Six senders, eight messages each: under the default limit of 10 per minute.
        var senders = new List<UserProfile>();
        for (var i = 0; i < 6; i++)
        {
            senders.Add(await Silo.RegisterAsync("burst"));
        }

        var org = await Silo.OrganizationAsync(senders[0], [.. senders.Skip(1)]);
        var group = await Silo.GroupAsync(org, senders[0], "Burst", [.. senders.Skip(1)]);
        var sends = Enumerable.Range(0, 48)
            .Select(i => Silo.Conversation(group.Id).SendMessage(senders[i % 6].Id, new SendMessageRequest($"burst-{i}", $"burst {i}")))
            .ToArray();
        var acks = await Task.WhenAll(sends).WaitAsync(ChatSilo.Timeout);

        var seqs = acks.Select(r => r.Message.Seq).Order().ToArray();
        Assert.Equal(seqs.Distinct().Count(), seqs.Length);
        foreach (var user in senders)
        {
            // Acknowledged means told (the sender too, for its other devices): the events are there
            // as soon as the sends returned, one per message, in seq order.
            var told = Silo.Events.EventsOf(user.Id)
                .Select(e => e.Event)
                .OfType<MessageCreatedEvent>()
                .Where(e => e.ConversationId == group.Id && e.Message.Content!.StartsWith("burst ", StringComparison.Ordinal))
                .Select(e => e.Message.Seq)
                .ToArray();
            Assert.Equal(seqs, told);
        }
    }

    private async Task<long> ScalarAsync(string sql, params object[] args)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = arg });
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Messages_get_gapless_sequence_numbers_starting_at_1()
    {
        var (a, b, _, org, _) = await GroupAsync();
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        var sent = new List<MessageDto>();
        for (var i = 0; i < 5; i++)
        {
            sent.Add(await Silo.SendAsync(dm.Id, i % 2 == 0 ? a : b, $"m{i}"));
        }

        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, sent.Select(m => m.Seq));
        Assert.Equal(5, await ScalarAsync("SELECT count(*) FROM messages WHERE conversation_id = $1", dm.Id));
    }

    [Fact]
    public async Task Content_is_at_most_4000_characters_and_a_message_needs_text_or_an_attachment()
    {
        var (a, _, _, _, group) = await GroupAsync();
        Assert.Equal(4000, (await Silo.SendAsync(group.Id, a, new string('a', 4000))).Content!.Length);
        var tooLong = await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.SendAsync(group.Id, a, new string('a', 4001)));
        Assert.Equal("content", tooLong.Details);
        await Expect.Error(ChatErrorCodes.EmptyMessage, () => Silo.SendAsync(group.Id, a, "  \n\t "));
        await Expect.Error(ChatErrorCodes.EmptyMessage, () => Silo.SendAsync(group.Id, a, ""));
        await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.SendAsync(group.Id, a, "x", clientMessageId: " "));
    }

    [Fact]
    public async Task A_retried_send_with_the_same_client_message_id_returns_the_original_and_creates_nothing()
    {
        var (a, _, _, _, group) = await GroupAsync();
        var conversation = Silo.Conversation(group.Id);
        var first = await conversation.SendMessage(a.Id, new SendMessageRequest("retry-1", "hello")).WaitAsync(ChatSilo.Timeout);
        var retry = await conversation.SendMessage(a.Id, new SendMessageRequest("retry-1", "hello")).WaitAsync(ChatSilo.Timeout);

        Assert.True(first.Created);
        Assert.False(retry.Created);
        Assert.Equal(first.Message.Id, retry.Message.Id);
        Assert.Equal(first.Message.Seq, retry.Message.Seq);
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM messages WHERE conversation_id = $1 AND client_message_id = 'retry-1'", group.Id));
    }

    [Fact]
    public async Task The_same_client_message_id_sent_concurrently_creates_one_message()
    {
        var (a, _, _, _, group) = await GroupAsync();
        var sends = Enumerable.Range(0, 16)
            .Select(_ => Silo.Conversation(group.Id).SendMessage(a.Id, new SendMessageRequest("dup", "once")).WaitAsync(ChatSilo.Timeout))
            .ToList();
        var results = await Task.WhenAll(sends);

        Assert.Single(results.Select(r => r.Message.Id).Distinct());
        Assert.Single(results, r => r.Created);
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM messages WHERE conversation_id = $1 AND client_message_id = 'dup'", group.Id));
        Assert.Equal(2, await ScalarAsync("SELECT max(seq) FROM messages WHERE conversation_id = $1", group.Id));
    }

    [Fact]
    public async Task Different_senders_may_use_the_same_client_message_id()
    {
        var (a, b, _, _, group) = await GroupAsync();
        var fromA = await Silo.SendAsync(group.Id, a, "from a", "same");
        var fromB = await Silo.SendAsync(group.Id, b, "from b", "same");
        Assert.NotEqual(fromA.Id, fromB.Id);
    }

    [Fact]
    public async Task Only_the_sender_edits_and_earlier_versions_are_kept_for_audit()
    {
        var (a, b, _, _, group) = await GroupAsync();
        var message = await Silo.SendAsync(group.Id, a, "first");
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Conversation(group.Id).EditMessage(b.Id, message.Id, "hijacked"));
        var systemMessage = (await Silo.Conversation(group.Id).GetMessages(a.Id, new HistoryQuery()).WaitAsync(ChatSilo.Timeout)).Messages[0];
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Conversation(group.Id).EditMessage(a.Id, systemMessage.Id, "system"));

        await Silo.Conversation(group.Id).EditMessage(a.Id, message.Id, "second").WaitAsync(ChatSilo.Timeout);
        var edited = await Silo.Conversation(group.Id).EditMessage(a.Id, message.Id, "third").WaitAsync(ChatSilo.Timeout);

        Assert.Equal("third", edited.Content);
        Assert.NotNull(edited.EditedAt);
        Assert.Equal(2, await ScalarAsync("SELECT count(*) FROM message_edits WHERE message_id = $1", message.Id));
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM message_edits WHERE message_id = $1 AND previous_content = 'first' AND version = 1", message.Id));
        await Expect.Error(ChatErrorCodes.EmptyMessage, () => Silo.Conversation(group.Id).EditMessage(a.Id, message.Id, " "));
    }

    [Fact]
    public async Task The_sender_deletes_and_everyone_gets_a_tombstone_while_the_row_stays()
    {
        var (a, b, _, _, group) = await GroupAsync();
        var message = await Silo.SendAsync(group.Id, b, "regrettable");
        var outsider = await Silo.RegisterAsync("outsider");
        await Expect.Error(ChatErrorCodes.NotParticipant, () => Silo.Conversation(group.Id).DeleteMessage(outsider.Id, message.Id));

        var tombstone = await Silo.Conversation(group.Id).DeleteMessage(b.Id, message.Id).WaitAsync(ChatSilo.Timeout);

        Assert.NotNull(tombstone.DeletedAt);
        Assert.Null(tombstone.Content);
        Assert.Empty(tombstone.Attachments);
        var page = await Silo.Conversation(group.Id).GetMessages(a.Id, new HistoryQuery()).WaitAsync(ChatSilo.Timeout);
        Assert.Null(page.Messages.Single(m => m.Id == message.Id).Content);
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM messages WHERE id = $1 AND content = 'regrettable' AND deleted_at IS NOT NULL", message.Id));
        var events = await ChatSilo.EventuallyAsync(() => Task.FromResult(Silo.Events.EventsOf(a.Id)),
            e => e.Any(x => x.Event is MessageDeletedEvent d && d.Message.Id == message.Id), "messageDeleted for a");
        Assert.Null(events.Select(x => x.Event).OfType<MessageDeletedEvent>().Single(d => d.Message.Id == message.Id).Message.Content);
    }

    [Fact]
    public async Task Members_cannot_delete_messages_of_others_but_owners_and_admins_can()
    {
        var (a, b, c, _, group) = await GroupAsync();
        var byC = await Silo.SendAsync(group.Id, c, "c's message");
        var alsoByC = await Silo.SendAsync(group.Id, c, "another");
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Conversation(group.Id).DeleteMessage(b.Id, byC.Id));

        Assert.NotNull((await Silo.Conversation(group.Id).DeleteMessage(a.Id, byC.Id).WaitAsync(ChatSilo.Timeout)).DeletedAt);
        await Silo.Conversation(group.Id).SetRole(a.Id, b.Id, Role.Admin).WaitAsync(ChatSilo.Timeout);
        Assert.NotNull((await Silo.Conversation(group.Id).DeleteMessage(b.Id, alsoByC.Id).WaitAsync(ChatSilo.Timeout)).DeletedAt);
    }

    [Fact]
    public async Task In_a_DM_only_the_sender_deletes()
    {
        var (a, b, _, org, _) = await GroupAsync();
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        var message = await Silo.SendAsync(dm.Id, a, "mine");
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Conversation(dm.Id).DeleteMessage(b.Id, message.Id));
    }

    [Fact]
    public async Task Reactions_are_unique_per_user_and_emoji_and_grouped_with_counts()
    {
        var (a, b, c, _, group) = await GroupAsync();
        var message = await Silo.SendAsync(group.Id, a, "react to me");
        var conversation = Silo.Conversation(group.Id);
        await conversation.AddReaction(b.Id, message.Id, "👍").WaitAsync(ChatSilo.Timeout);
        await conversation.AddReaction(b.Id, message.Id, "👍").WaitAsync(ChatSilo.Timeout);
        await conversation.AddReaction(c.Id, message.Id, "👍").WaitAsync(ChatSilo.Timeout);
        var after = await conversation.AddReaction(c.Id, message.Id, "tada").WaitAsync(ChatSilo.Timeout);

        Assert.Equal(2, after.Reactions.Length);
        var thumbs = after.Reactions.Single(r => r.Emoji == "👍");
        Assert.Equal(2, thumbs.Count);
        Assert.Equal(new[] { b.Id, c.Id }, thumbs.UserIds);
        Assert.Equal(3, await ScalarAsync("SELECT count(*) FROM message_reactions WHERE message_id = $1", message.Id));

        var removed = await conversation.RemoveReaction(b.Id, message.Id, "👍").WaitAsync(ChatSilo.Timeout);
        Assert.Equal(1, removed.Reactions.Single(r => r.Emoji == "👍").Count);
        await Expect.Error(ChatErrorCodes.ValidationError, () => conversation.AddReaction(b.Id, message.Id, new string('x', 33)));
        await Expect.Error(ChatErrorCodes.ValidationError, () => conversation.AddReaction(b.Id, message.Id, " "));
    }

    [Fact]
    public async Task A_reply_keeps_pointing_at_its_target_which_shows_as_deleted_once_deleted()
    {
        var (a, b, _, _, group) = await GroupAsync();
        var target = await Silo.SendAsync(group.Id, a, "original question");
        var reply = await Silo.SendAsync(group.Id, b, "answer", replyTo: target.Id);

        Assert.Equal(new ReplyPreview(target.Id, target.Seq, "original question", false), reply.ReplyTo);
        await Silo.Conversation(group.Id).DeleteMessage(a.Id, target.Id).WaitAsync(ChatSilo.Timeout);

        var page = await Silo.Conversation(group.Id).GetMessages(b.Id, new HistoryQuery()).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(new ReplyPreview(target.Id, target.Seq, null, true), page.Messages.Single(m => m.Id == reply.Id).ReplyTo);
        await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.SendAsync(group.Id, b, "reply to nothing", replyTo: Guid.NewGuid()));
    }

    [Fact]
    public async Task History_pages_newest_first_by_cursor_and_catches_up_after_a_seq()
    {
        var (a, _, _, _, group) = await GroupAsync();
        for (var i = 2; i <= 120; i++)
        {
            await Silo.SendAsync(group.Id, a, $"message {i}");
        }

        var conversation = Silo.Conversation(group.Id);
        var newest = await conversation.GetMessages(a.Id, new HistoryQuery()).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(Enumerable.Range(71, 50).Select(i => (long)i), newest.Messages.Select(m => m.Seq));
        Assert.True(newest.HasMore);

        var older = await conversation.GetMessages(a.Id, new HistoryQuery(Before: 71)).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(Enumerable.Range(21, 50).Select(i => (long)i), older.Messages.Select(m => m.Seq));
        Assert.True(older.HasMore);
        var oldest = await conversation.GetMessages(a.Id, new HistoryQuery(Before: 21, Limit: 100)).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), oldest.Messages.Select(m => m.Seq));
        Assert.False(oldest.HasMore);

        var catchUp = await conversation.GetMessages(a.Id, new HistoryQuery(After: 100, Limit: 15)).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(Enumerable.Range(101, 15).Select(i => (long)i), catchUp.Messages.Select(m => m.Seq));
        Assert.True(catchUp.HasMore);
        var end = await conversation.GetMessages(a.Id, new HistoryQuery(After: 115)).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(5, end.Messages.Length);
        Assert.False(end.HasMore);

        await Expect.Error(ChatErrorCodes.ValidationError, () => conversation.GetMessages(a.Id, new HistoryQuery(Limit: 101)));
        await Expect.Error(ChatErrorCodes.ValidationError, () => conversation.GetMessages(a.Id, new HistoryQuery(Limit: 0)));
        await Expect.Error(ChatErrorCodes.ValidationError, () => conversation.GetMessages(a.Id, new HistoryQuery(Before: 5, After: 1)));
    }
}
