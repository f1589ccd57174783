using Chat.Grains.Tests.Infrastructure;

namespace Chat.Grains.Tests.Domain;

/// <summary>SPEC section 3: direct and group conversations, roles, system messages.</summary>
public sealed class ConversationTests(ChatSiloFixture fixture) : IClassFixture<ChatSiloFixture>
{
    private ChatSilo Silo => fixture.Silo;

    [Fact]
    public async Task A_group_is_created_with_the_creator_as_owner_and_a_creation_system_message()
    {
        var (alice, bob, carol) = (await Silo.RegisterAsync("alice"), await Silo.RegisterAsync("bob"), await Silo.RegisterAsync("carol"));
        var org = await Silo.OrganizationAsync(alice, bob, carol);

        var group = await Silo.GroupAsync(org, alice, "  Project  ", bob, carol);

        Assert.Equal("Project", group.Name);
        Assert.Equal(ConversationType.Group, group.Type);
        Assert.Equal(Role.Owner, group.Participants.Single(p => p.UserId == alice.Id).Role);
        Assert.All(group.Participants.Where(p => p.UserId != alice.Id), p => Assert.Equal(Role.Member, p.Role));
        var history = await Silo.Conversation(group.Id).GetMessages(bob.Id, new HistoryQuery()).WaitAsync(ChatSilo.Timeout);
        var created = Assert.Single(history.Messages);
        Assert.Equal(MessageType.System, created.Type);
        Assert.Null(created.SenderId);
        Assert.Equal("created", created.SystemEvent);
        Assert.Equal(1, created.Seq);
    }
}

/// <summary>More of SPEC section 3.</summary>
public sealed class ConversationRuleTests(ChatSiloFixture fixture) : IClassFixture<ChatSiloFixture>
{
    private ChatSilo Silo => fixture.Silo;

    private async Task<(UserProfile A, UserProfile B, UserProfile C, UserProfile D, Guid Org)> TeamAsync()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var c = await Silo.RegisterAsync("cat");
        var d = await Silo.RegisterAsync("dan");
        return (a, b, c, d, await Silo.OrganizationAsync(a, b, c, d));
    }

    [Fact]
    public async Task A_group_name_is_required_and_at_most_255_characters()
    {
        var (a, b, c, _, org) = await TeamAsync();
        foreach (var name in new[] { "", "   ", new string('x', 256) })
        {
            var error = await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.GroupAsync(org, a, name, b, c));
            Assert.Equal("name", error.Details);
        }

        Assert.Equal(255, (await Silo.GroupAsync(org, a, new string('y', 255), b, c)).Name!.Length);
    }

    [Fact]
    public async Task A_group_has_3_to_50_participants_including_the_creator()
    {
        var (a, b, _, _, org) = await TeamAsync();
        await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.GroupAsync(org, a, "Too small", b));
        await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.GroupAsync(org, a, "Just me twice", a, b));
        var many = new List<UserProfile>();
        for (var i = 0; i < 50; i++)
        {
            many.Add(await Silo.RegisterAsync("many"));
        }

        var bigOrg = await Silo.OrganizationAsync(a, [.. many]);
        await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.GroupAsync(bigOrg, a, "Too big", [.. many]));
        var fifty = await Silo.GroupAsync(bigOrg, a, "Fifty", [.. many.Take(49)]);
        Assert.Equal(50, fifty.Participants.Length);
    }

    [Fact]
    public async Task A_direct_conversation_with_yourself_is_a_validation_error()
    {
        var (a, _, _, _, org) = await TeamAsync();
        await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.DirectAsync(a, a, org));
        await Expect.Error(ChatErrorCodes.ValidationError,
            () => Silo.Grains.GetGrain<IDirectConversationGrain>(DirectConversationKey.For(org, a.Id, a.Id)).Open(a.Id));
    }

    [Fact]
    public async Task Opening_a_DM_again_returns_the_existing_one_instead_of_creating_another()
    {
        var (a, b, _, _, org) = await TeamAsync();
        var first = await Silo.DirectAsync(a, b, org);
        var again = await Silo.DirectAsync(a, b, org);
        var fromTheOtherSide = await Silo.DirectAsync(b, a);

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.False(fromTheOtherSide.Created);
        Assert.Equal(first.Conversation.Id, again.Conversation.Id);
        Assert.Equal(first.Conversation.Id, fromTheOtherSide.Conversation.Id);
        Assert.Equal(ConversationType.Direct, first.Conversation.Type);
        Assert.Null(first.Conversation.Name);
        Assert.Equal(2, first.Conversation.Participants.Length);
    }

    [Fact]
    public async Task Duplicate_DMs_opened_concurrently_from_both_sides_create_exactly_one_conversation()
    {
        var (a, b, _, _, org) = await TeamAsync();
        var opens = Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? Silo.DirectAsync(a, b, org) : Silo.DirectAsync(b, a, org)).ToList();
        var results = await Task.WhenAll(opens);

        Assert.Single(results.Select(r => r.Conversation.Id).Distinct());
        Assert.Single(results, r => r.Created);
        await using var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM conversations WHERE type = 'direct' AND id IN (SELECT conversation_id FROM conversation_participants WHERE user_id = $1)", connection);
        count.Parameters.AddWithValue(a.Id);
        Assert.Equal(1L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Owners_and_admins_manage_participants_and_names_but_members_cannot()
    {
        var (a, b, c, d, org) = await TeamAsync();
        var group = await Silo.GroupAsync(org, a, "Crew", b, c);
        var conversation = Silo.Conversation(group.Id);

        await Expect.Error(ChatErrorCodes.Forbidden, () => conversation.AddParticipants(b.Id, [d.Id]));
        await Expect.Error(ChatErrorCodes.Forbidden, () => conversation.RemoveParticipant(b.Id, c.Id));
        await Expect.Error(ChatErrorCodes.Forbidden, () => conversation.Update(b.Id, new UpdateConversationRequest("Mine now")));
        await Expect.Error(ChatErrorCodes.Forbidden, () => conversation.SetRole(b.Id, c.Id, Role.Admin));

        await conversation.SetRole(a.Id, b.Id, Role.Admin).WaitAsync(ChatSilo.Timeout);
        await conversation.AddParticipants(b.Id, [d.Id]).WaitAsync(ChatSilo.Timeout);
        await conversation.Update(b.Id, new UpdateConversationRequest("Crew 2", "A description")).WaitAsync(ChatSilo.Timeout);
        await conversation.RemoveParticipant(b.Id, c.Id).WaitAsync(ChatSilo.Timeout);
        await Expect.Error(ChatErrorCodes.Forbidden, () => conversation.RemoveParticipant(b.Id, a.Id));
        await Expect.Error(ChatErrorCodes.Forbidden, () => conversation.SetRole(b.Id, d.Id, Role.Admin));

        var details = await conversation.GetDetails(a.Id).WaitAsync(ChatSilo.Timeout);
        Assert.Equal("Crew 2", details.Name);
        Assert.Equal("A description", details.Description);
        Assert.Equal(new[] { a.Id, b.Id, d.Id }.OrderBy(x => x), details.Participants.Select(p => p.UserId).OrderBy(x => x));
    }

    [Fact]
    public async Task Only_the_owner_deletes_the_conversation_and_it_disappears_for_everyone()
    {
        var (a, b, c, _, org) = await TeamAsync();
        var group = await Silo.GroupAsync(org, a, "Doomed", b, c);
        await Silo.Conversation(group.Id).SetRole(a.Id, b.Id, Role.Admin).WaitAsync(ChatSilo.Timeout);
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Conversation(group.Id).Delete(b.Id));
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Conversation(group.Id).Delete(c.Id));
        await Silo.InboxWhenAsync(c, i => i.Conversations.Any(e => e.ConversationId == group.Id), "the group in c's inbox");

        await Silo.Conversation(group.Id).Delete(a.Id).WaitAsync(ChatSilo.Timeout);

        await Expect.Error(ChatErrorCodes.NotFound, () => Silo.Conversation(group.Id).GetDetails(c.Id));
        await Expect.Error(ChatErrorCodes.NotFound, () => Silo.SendAsync(group.Id, a, "anyone?"));
        await Silo.InboxWhenAsync(c, i => i.Conversations.All(e => e.ConversationId != group.Id), "the group gone from c's inbox");
        Assert.Contains(Silo.Events.EventsOf(c.Id), e => e.Event is ConversationRemovedEvent { Reason: "deleted" } r && r.ConversationId == group.Id);
        await using var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var kept = new Npgsql.NpgsqlCommand("SELECT deleted_at IS NOT NULL FROM conversations WHERE id = $1", connection);
        kept.Parameters.AddWithValue(group.Id);
        Assert.Equal(true, await kept.ExecuteScalarAsync());
    }

    [Fact]
    public async Task When_the_owner_leaves_the_longest_standing_admin_becomes_owner()
    {
        var (a, b, c, d, org) = await TeamAsync();
        var group = await Silo.GroupAsync(org, a, "Succession", b, c);
        await Silo.Conversation(group.Id).AddParticipants(a.Id, [d.Id]).WaitAsync(ChatSilo.Timeout);
        await Silo.Conversation(group.Id).SetRole(a.Id, d.Id, Role.Admin).WaitAsync(ChatSilo.Timeout);

        await Silo.Conversation(group.Id).RemoveParticipant(a.Id, a.Id).WaitAsync(ChatSilo.Timeout);

        var details = await Silo.Conversation(group.Id).GetDetails(b.Id).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(d.Id, details.Participants.Single(p => p.Role == Role.Owner).UserId);
        await Expect.Error(ChatErrorCodes.NotParticipant, () => Silo.Conversation(group.Id).GetDetails(a.Id));
    }

    [Fact]
    public async Task When_the_owner_leaves_without_admins_the_longest_standing_member_becomes_owner()
    {
        var (a, b, c, d, org) = await TeamAsync();
        var group = await Silo.GroupAsync(org, a, "Succession 2", b, c);
        await Silo.Conversation(group.Id).AddParticipants(a.Id, [d.Id]).WaitAsync(ChatSilo.Timeout);

        await Silo.Conversation(group.Id).RemoveParticipant(a.Id, a.Id).WaitAsync(ChatSilo.Timeout);

        var details = await Silo.Conversation(group.Id).GetDetails(d.Id).WaitAsync(ChatSilo.Timeout);
        var owner = details.Participants.Single(p => p.Role == Role.Owner).UserId;
        Assert.Contains(owner, new[] { b.Id, c.Id });
        Assert.Equal(new[] { b.Id, c.Id }.Min(), owner);
    }

    [Fact]
    public async Task New_members_see_the_whole_history_and_membership_changes_produce_system_messages()
    {
        var (a, b, c, d, org) = await TeamAsync();
        var group = await Silo.GroupAsync(org, a, "History", b, c);
        await Silo.SendAsync(group.Id, b, "before d joined");
        var conversation = Silo.Conversation(group.Id);
        await conversation.AddParticipants(a.Id, [d.Id]).WaitAsync(ChatSilo.Timeout);
        await conversation.Update(a.Id, new UpdateConversationRequest("History 2")).WaitAsync(ChatSilo.Timeout);
        await conversation.RemoveParticipant(a.Id, c.Id).WaitAsync(ChatSilo.Timeout);
        await conversation.RemoveParticipant(b.Id, b.Id).WaitAsync(ChatSilo.Timeout);

        var page = await conversation.GetMessages(d.Id, new HistoryQuery()).WaitAsync(ChatSilo.Timeout);

        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6 }, page.Messages.Select(m => m.Seq));
        Assert.Equal("before d joined", page.Messages[1].Content);
        Assert.Equal(new[] { "created", null, "joined", "renamed", "removed", "left" }, page.Messages.Select(m => m.SystemEvent));
        Assert.All(page.Messages.Where(m => m.SystemEvent is not null), m => Assert.Null(m.SenderId));
        Assert.Equal(0, (await conversation.GetDetails(d.Id).WaitAsync(ChatSilo.Timeout)).Me.UnreadCount);
    }

    [Fact]
    public async Task Star_and_mute_are_personal()
    {
        var (a, b, _, _, org) = await TeamAsync();
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;

        var mine = await Silo.Conversation(dm.Id).UpdateSettings(a.Id, new ParticipantSettingsRequest(IsStarred: true, IsMuted: true)).WaitAsync(ChatSilo.Timeout);

        Assert.True(mine.IsStarred);
        Assert.True(mine.IsMuted);
        var theirs = (await Silo.Conversation(dm.Id).GetDetails(b.Id).WaitAsync(ChatSilo.Timeout)).Me;
        Assert.False(theirs.IsStarred);
        Assert.False(theirs.IsMuted);
        var inbox = await Silo.InboxWhenAsync(a, i => i.Conversations.Any(e => e.ConversationId == dm.Id && e.IsStarred), "a's starred DM");
        Assert.True(inbox.Conversations.Single(e => e.ConversationId == dm.Id).IsMuted);
    }

    [Fact]
    public async Task The_inbox_lists_conversations_newest_activity_first_with_a_200_character_preview()
    {
        var (a, b, c, _, org) = await TeamAsync();
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        var group = await Silo.GroupAsync(org, a, "Preview", b, c);
        await Silo.SendAsync(dm.Id, b, "older");
        var longText = new string('z', 300);
        await Silo.SendAsync(group.Id, c, longText);

        var inbox = await Silo.InboxWhenAsync(a, i => i.Conversations.Length == 2 && i.Conversations[0].LastMessage?.Text?.Length == 200, "a's inbox");

        Assert.Equal(group.Id, inbox.Conversations[0].ConversationId);
        Assert.Equal("Preview", inbox.Conversations[0].DisplayName);
        Assert.Equal(c.Id, inbox.Conversations[0].LastMessage!.SenderId);
        Assert.Equal(c.DisplayName, inbox.Conversations[0].LastMessage!.SenderName);
        Assert.Equal(3, inbox.Conversations[0].ParticipantCount);
        Assert.Equal(dm.Id, inbox.Conversations[1].ConversationId);
        Assert.Equal(b.DisplayName, inbox.Conversations[1].DisplayName);
        Assert.Equal(2, inbox.TotalUnread);
        Assert.Equal(2, inbox.UnreadConversations);
    }
}
