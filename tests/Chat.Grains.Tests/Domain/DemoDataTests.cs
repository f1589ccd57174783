using Chat.Grains.Demo;
using Chat.Grains.Tests.Infrastructure;
using Chat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Grains.Tests.Domain;

/// <summary>SPEC section 10 with the unread checks of issue 5, and a restart on the same database.</summary>
public sealed class DemoDataTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly Guid Alice = Guid.Parse("a1111111-1111-1111-1111-111111111111");
    private static readonly Guid Bob = Guid.Parse("a2222222-2222-2222-2222-222222222222");
    private static readonly Guid Edward = Guid.Parse("a5555555-5555-5555-5555-555555555555");
    private static readonly Guid AliceBob = Guid.Parse("c1000001-0001-0001-0001-000000000001");
    private static readonly Guid Downtown = Guid.Parse("c1000001-0001-0001-0001-000000000002");
    private static readonly Guid Warehouse = Guid.Parse("c1000001-0001-0001-0001-000000000004");

    [Fact]
    public async Task With_the_demo_loaded_inboxes_match_the_seed_and_survive_a_silo_restart()
    {
        Dictionary<Guid, Inbox> before;
        Dictionary<(Guid, Guid), MessagePage> historiesBefore;
        await using (var silo = await ChatSilo.StartAsync(database.ConnectionString, new() { ["Chat:Demo:Load"] = "true" }))
        {
            Assert.False(await silo.Services.GetRequiredService<DemoDataLoader>().LoadAsync().WaitAsync(ChatSilo.Timeout));

            var alice = await silo.User(Alice).GetInbox().WaitAsync(ChatSilo.Timeout);
            Assert.Equal(new[] { AliceBob, Warehouse }, alice.Conversations.Select(c => c.ConversationId));
            Assert.Equal((0, true, false), (alice.Conversations[0].UnreadCount, alice.Conversations[0].IsStarred, alice.Conversations[0].IsMuted));
            Assert.Equal("Bob Smith", alice.Conversations[0].DisplayName);
            Assert.Equal("Warehouse Team", alice.Conversations[1].DisplayName);
            Assert.Equal((1, true), (alice.Conversations[1].UnreadCount, alice.Conversations[1].IsMuted));
            Assert.Equal((1, 1), (alice.TotalUnread, alice.UnreadConversations));

            var bob = await silo.User(Bob).GetInbox().WaitAsync(ChatSilo.Timeout);
            Assert.Equal(1, bob.Conversations.Single(c => c.ConversationId == AliceBob).UnreadCount);

            var edward = await silo.User(Edward).GetInbox().WaitAsync(ChatSilo.Timeout);
            var downtown = edward.Conversations.Single(c => c.ConversationId == Downtown);
            Assert.Equal("Downtown Office Project", downtown.DisplayName);
            Assert.Equal((1, true), (downtown.UnreadCount, downtown.IsMuted));

            var profile = await silo.Grains.GetGrain<IAccountGrain>(AccountKey.For("alice")).VerifyPassword("demo-password").WaitAsync(ChatSilo.Timeout);
            Assert.Equal(Alice, profile.Id);
            var withAttachment = (await silo.Conversation(Downtown).GetMessages(Edward, new HistoryQuery()).WaitAsync(ChatSilo.Timeout)).Messages.Last();
            var pdf = Assert.Single(withAttachment.Attachments);
            Assert.Equal("application/pdf", pdf.ContentType);
            Assert.Equal(5, alice.Conversations[0].LastMessage!.Seq);

            // Some activity, so the restart compares more than the seed.
            await silo.Conversation(Warehouse).MarkRead(Alice).WaitAsync(ChatSilo.Timeout);
            await silo.SendAsync(AliceBob, new UserProfile(Bob, "bob", "Bob Smith", null, null, PresenceStatus.Offline, null, default, default), "after the seed");
            await silo.Conversation(Downtown).AddReaction(Edward, withAttachment.Id, "eyes").WaitAsync(ChatSilo.Timeout);
            await silo.InboxWhenAsync(new UserProfile(Alice, "alice", "", null, null, default, null, default, default),
                i => i.TotalUnread == 1 && i.Conversations[0].LastMessage!.Text == "after the seed", "alice sees bob's new message");

            before = await InboxesAsync(silo);
            historiesBefore = await HistoriesAsync(silo);
        }

        await using (var restarted = await ChatSilo.StartAsync(database.ConnectionString, new() { ["Chat:Demo:Load"] = "true" }))
        {
            var after = await InboxesAsync(restarted);
            var historiesAfter = await HistoriesAsync(restarted);
            foreach (var (user, inbox) in before)
            {
                Assert.Equal(Json(inbox), Json(after[user]));
            }

            foreach (var (key, page) in historiesBefore)
            {
                Assert.Equal(Json(page), Json(historiesAfter[key]));
            }
        }
    }

    private static readonly Guid[] Users =
    [
        Alice, Bob, Guid.Parse("a3333333-3333-3333-3333-333333333333"), Guid.Parse("a4444444-4444-4444-4444-444444444444"), Edward,
    ];

    private static async Task<Dictionary<Guid, Inbox>> InboxesAsync(ChatSilo silo)
    {
        var result = new Dictionary<Guid, Inbox>();
        foreach (var user in Users)
        {
            result[user] = await silo.User(user).GetInbox().WaitAsync(ChatSilo.Timeout);
        }

        return result;
    }

    private static async Task<Dictionary<(Guid, Guid), MessagePage>> HistoriesAsync(ChatSilo silo)
    {
        var result = new Dictionary<(Guid, Guid), MessagePage>();
        foreach (var user in Users)
        {
            foreach (var entry in (await silo.User(user).GetInbox().WaitAsync(ChatSilo.Timeout)).Conversations)
            {
                result[(user, entry.ConversationId)] = await silo.Conversation(entry.ConversationId).GetMessages(user, new HistoryQuery(Limit: 100)).WaitAsync(ChatSilo.Timeout);
            }
        }

        return result;
    }

    private static string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value);
}
