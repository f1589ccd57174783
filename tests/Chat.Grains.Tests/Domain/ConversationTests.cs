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
