using System.Collections.Immutable;
using Chat.Grains.Tests.Infrastructure;

namespace Chat.Grains.Tests.Domain;

/// <summary>SPEC section 8: each rule, attacked.</summary>
public sealed class SecurityTests(ChatSiloFixture fixture) : IClassFixture<ChatSiloFixture>
{
    private ChatSilo Silo => fixture.Silo;

    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];

    [Fact]
    public async Task A_user_of_another_organization_cannot_create_read_or_write_anything_there()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var c = await Silo.RegisterAsync("cat");
        var mallory = await Silo.RegisterAsync("mal");
        var org = await Silo.OrganizationAsync(a, b, c);
        var otherOrg = await Silo.OrganizationAsync(mallory);
        var group = await Silo.GroupAsync(org, a, "Internal", b, c);

        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.GroupAsync(org, mallory, "Intrusion", a, b));
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.GroupAsync(otherOrg, mallory, "Lure", a, b));
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.DirectAsync(mallory, a));
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.DirectAsync(mallory, a, org));
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.DirectAsync(mallory, a, otherOrg));
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Organization(org).GetMembers(mallory.Id));
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Organization(org).AddMember(mallory.Id, mallory.Username));
        await Expect.Error(ChatErrorCodes.NotParticipant, () => Silo.Conversation(group.Id).GetMessages(mallory.Id, new HistoryQuery()));
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Conversation(group.Id).AddParticipants(a.Id, [mallory.Id]));
        var found = await Silo.User(mallory.Id).Search(new SearchQuery("Internal")).WaitAsync(ChatSilo.Timeout);
        Assert.Empty(found.Messages);
    }

    [Fact]
    public async Task A_non_participant_cannot_read_messages_participants_receipts_or_attachments_nor_send()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var eve = await Silo.RegisterAsync("eve");
        var org = await Silo.OrganizationAsync(a, b, eve);
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        var attachmentId = Guid.NewGuid();
        await Silo.Grains.GetGrain<IAttachmentGrain>(attachmentId).Upload(a.Id, new AttachmentUpload("p.png", "image/png", Png)).WaitAsync(ChatSilo.Timeout);
        var message = await Silo.SendAsync(dm.Id, a, "secret", attachments: [attachmentId]);
        var conversation = Silo.Conversation(dm.Id);

        await Expect.Error(ChatErrorCodes.NotParticipant, () => conversation.GetMessages(eve.Id, new HistoryQuery()));
        await Expect.Error(ChatErrorCodes.NotParticipant, () => conversation.GetDetails(eve.Id));
        await Expect.Error(ChatErrorCodes.NotParticipant, () => conversation.GetReceipts(eve.Id, message.Id));
        await Expect.Error(ChatErrorCodes.NotParticipant, () => Silo.SendAsync(dm.Id, eve, "let me in"));
        await Expect.Error(ChatErrorCodes.NotParticipant, () => conversation.MarkRead(eve.Id));
        await Expect.Error(ChatErrorCodes.NotParticipant, () => conversation.AddReaction(eve.Id, message.Id, "x"));
        await Expect.Error(ChatErrorCodes.NotParticipant, () => Silo.Grains.GetGrain<IAttachmentGrain>(attachmentId).Download(eve.Id));
        Assert.Empty((await Silo.User(eve.Id).Search(new SearchQuery("secret")).WaitAsync(ChatSilo.Timeout)).Messages);
        Assert.Equal(Png.Length, (await Silo.Grains.GetGrain<IAttachmentGrain>(attachmentId).Download(b.Id).WaitAsync(ChatSilo.Timeout)).Content.Length);
    }

    [Fact]
    public async Task A_removed_participant_loses_access_immediately()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var c = await Silo.RegisterAsync("cat");
        var org = await Silo.OrganizationAsync(a, b, c);
        var group = await Silo.GroupAsync(org, a, "Kickable", b, c);
        var attachmentId = Guid.NewGuid();
        await Silo.Grains.GetGrain<IAttachmentGrain>(attachmentId).Upload(a.Id, new AttachmentUpload("p.png", null, Png)).WaitAsync(ChatSilo.Timeout);
        await Silo.SendAsync(group.Id, a, "findable words", attachments: [attachmentId]);
        Assert.Single((await Silo.User(c.Id).Search(new SearchQuery("findable")).WaitAsync(ChatSilo.Timeout)).Messages);

        await Silo.Conversation(group.Id).RemoveParticipant(a.Id, c.Id).WaitAsync(ChatSilo.Timeout);

        await Expect.Error(ChatErrorCodes.NotParticipant, () => Silo.Conversation(group.Id).GetMessages(c.Id, new HistoryQuery()));
        await Expect.Error(ChatErrorCodes.NotParticipant, () => Silo.SendAsync(group.Id, c, "still here?"));
        await Expect.Error(ChatErrorCodes.NotParticipant, () => Silo.Grains.GetGrain<IAttachmentGrain>(attachmentId).Download(c.Id));
        Assert.Empty((await Silo.User(c.Id).Search(new SearchQuery("findable")).WaitAsync(ChatSilo.Timeout)).Messages);
        await Silo.InboxWhenAsync(c, i => i.Conversations.All(e => e.ConversationId != group.Id), "the group gone from c's inbox");
    }

    [Fact]
    public async Task A_member_removed_from_the_organization_loses_its_conversations_at_once()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var c = await Silo.RegisterAsync("cat");
        var org = await Silo.OrganizationAsync(a, b, c);
        var group = await Silo.GroupAsync(org, a, "Org bound", b, c);
        var dm = (await Silo.DirectAsync(a, c, org)).Conversation;
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Organization(org).RemoveMember(b.Id, c.Id));

        await Silo.Organization(org).RemoveMember(a.Id, c.Id).WaitAsync(ChatSilo.Timeout);

        await Expect.Error(ChatErrorCodes.NotParticipant, () => Silo.Conversation(group.Id).GetMessages(c.Id, new HistoryQuery()));
        await Expect.Error(ChatErrorCodes.NotParticipant, () => Silo.SendAsync(dm.Id, c, "hello?"));
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.Organization(org).GetMembers(c.Id));
        await Expect.Error(ChatErrorCodes.Forbidden, () => Silo.DirectAsync(c, a, org));
        var history = await Silo.Conversation(group.Id).GetMessages(a.Id, new HistoryQuery()).WaitAsync(ChatSilo.Timeout);
        Assert.Equal("removed", history.Messages[^1].SystemEvent);
    }

    [Fact]
    public void Requests_carry_no_sender_so_the_sender_cannot_be_spoofed()
    {
        Assert.DoesNotContain(typeof(SendMessageRequest).GetProperties(), p => p.Name.Contains("Sender", StringComparison.OrdinalIgnoreCase) || p.Name == "UserId");
        Assert.DoesNotContain(typeof(ParticipantSettingsRequest).GetProperties(), p => p.Name.Contains("User", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task The_sender_of_a_message_is_always_the_acting_user()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var org = await Silo.OrganizationAsync(a, b);
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;

        var message = await Silo.SendAsync(dm.Id, b, "from b");

        Assert.Equal(b.Id, message.SenderId);
        Assert.Equal(b.Id, message.Sender!.Id);
    }

    [Fact]
    public async Task A_user_only_changes_their_own_participation()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var org = await Silo.OrganizationAsync(a, b);
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        await Silo.SendAsync(dm.Id, a, "unread for b");

        await Silo.Conversation(dm.Id).UpdateSettings(a.Id, new ParticipantSettingsRequest(true, true)).WaitAsync(ChatSilo.Timeout);
        await Silo.Conversation(dm.Id).MarkRead(a.Id).WaitAsync(ChatSilo.Timeout);

        var bView = (await Silo.Conversation(dm.Id).GetDetails(b.Id).WaitAsync(ChatSilo.Timeout)).Me;
        Assert.False(bView.IsStarred);
        Assert.False(bView.IsMuted);
        Assert.Equal(0, bView.LastReadSeq);
        Assert.Equal(1, bView.UnreadCount);
    }

    [Fact]
    public async Task Content_is_stored_and_returned_as_text()
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var org = await Silo.OrganizationAsync(a, b);
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        const string hostile = "<script>alert('x')</script> '; DROP TABLE messages; -- \u0000?";
        var sane = hostile.Replace("\u0000", "", StringComparison.Ordinal);

        var message = await Silo.SendAsync(dm.Id, a, sane);

        Assert.Equal(sane, message.Content);
        var page = await Silo.Conversation(dm.Id).GetMessages(b.Id, new HistoryQuery()).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(sane, page.Messages.Single().Content);
    }

    [Theory]
    [InlineData("'; DROP TABLE messages; --")]
    [InlineData("\" OR 1=1 --")]
    [InlineData("!!! & | ( ) :* <-> \\")]
    [InlineData("%_%")]
    [InlineData("$1 $2")]
    public async Task Hostile_search_strings_are_just_text(string query)
    {
        var a = await Silo.RegisterAsync("ann");
        var b = await Silo.RegisterAsync("ben");
        var org = await Silo.OrganizationAsync(a, b);
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        await Silo.SendAsync(dm.Id, a, "ordinary words");

        var result = await Silo.User(a.Id).Search(new SearchQuery(query)).WaitAsync(ChatSilo.Timeout);

        Assert.Empty(result.Messages);
        Assert.Single((await Silo.User(a.Id).Search(new SearchQuery("ordinary")).WaitAsync(ChatSilo.Timeout)).Messages);
    }

    [Fact]
    public async Task The_rate_limit_holds_across_conversations_because_it_lives_in_the_users_grain()
    {
        await using var silo = await ChatSilo.StartAsync(fixture.ConnectionString, new() { ["Chat:Limits:MessagesPerMinute"] = "3" });
        var a = await silo.RegisterAsync("ann");
        var b = await silo.RegisterAsync("ben");
        var c = await silo.RegisterAsync("cat");
        var org = await silo.OrganizationAsync(a, b, c);
        var withB = (await silo.DirectAsync(a, b, org)).Conversation;
        var withC = (await silo.DirectAsync(a, c, org)).Conversation;
        await silo.SendAsync(withB.Id, a, "1");
        await silo.SendAsync(withC.Id, a, "2");
        var third = await silo.Conversation(withB.Id).SendMessage(a.Id, new SendMessageRequest("third", "3")).WaitAsync(ChatSilo.Timeout);
        Assert.Equal(0, third.RateLimit!.Remaining);

        var limited = await Expect.Error(ChatErrorCodes.RateLimited, () => silo.SendAsync(withC.Id, a, "4"));

        Assert.Equal(429, limited.HttpStatus);
        Assert.InRange(limited.RetryAfterSeconds ?? 0, 1, 60);
        // An idempotent retry is not a new message and is not limited.
        Assert.False((await silo.Conversation(withB.Id).SendMessage(a.Id, new SendMessageRequest("third", "3")).WaitAsync(ChatSilo.Timeout)).Created);
        await silo.SendAsync(withB.Id, b, "others are not affected");
    }
}
