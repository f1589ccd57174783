using Chat.Grains.Tests.Infrastructure;
using Chat.Testing;

namespace Chat.Grains.Tests.Domain;

/// <summary>Grains come back from PostgreSQL identical; history beyond the in-memory window pages from PostgreSQL.</summary>
public sealed class RestartTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly Dictionary<string, string?> SmallWindow = new() { ["Chat:Limits:InMemoryMessages"] = "100" };

    [Fact]
    public async Task After_a_restart_inboxes_read_positions_and_histories_are_identical_including_pages_older_than_memory()
    {
        UserProfile a, b, c;
        Guid groupId, dmId;
        string inboxes, histories, details;
        await using (var silo = await ChatSilo.StartAsync(database.ConnectionString, SmallWindow))
        {
            (a, b, c) = (await silo.RegisterAsync("ann"), await silo.RegisterAsync("ben"), await silo.RegisterAsync("cat"));
            var org = await silo.OrganizationAsync(a, b, c);
            groupId = (await silo.GroupAsync(org, a, "Long", b, c)).Id;
            dmId = (await silo.DirectAsync(a, b, org)).Conversation.Id;
            MessageDto? target = null;
            for (var i = 0; i < 150; i++)
            {
                var sent = await silo.SendAsync(groupId, i % 3 == 0 ? a : i % 3 == 1 ? b : c, $"line {i}", replyTo: i == 149 ? target!.Id : null);
                target ??= sent;
            }

            await silo.Conversation(groupId).EditMessage(a.Id, target!.Id, "edited line 0").WaitAsync(ChatSilo.Timeout);
            await silo.Conversation(groupId).AddReaction(c.Id, target.Id, "ok").WaitAsync(ChatSilo.Timeout);
            // a's position is at its last own message (seq 149); a partial read moves it one further.
            var aRead = await silo.Conversation(groupId).MarkRead(a.Id, 150).WaitAsync(ChatSilo.Timeout);
            Assert.Equal((150, 1), (aRead.LastReadSeq, aRead.UnreadCount));
            await silo.SendAsync(dmId, b, "dm one");
            await silo.Conversation(dmId).UpdateSettings(a.Id, new ParticipantSettingsRequest(true, null)).WaitAsync(ChatSilo.Timeout);

            // History older than the 100 messages in memory comes from PostgreSQL through the same API.
            var oldest = await silo.Conversation(groupId).GetMessages(c.Id, new HistoryQuery(Before: 60, Limit: 100)).WaitAsync(ChatSilo.Timeout);
            Assert.Equal(Enumerable.Range(1, 59).Select(i => (long)i), oldest.Messages.Select(m => m.Seq));
            Assert.Equal("edited line 0", oldest.Messages[1].Content);
            Assert.Equal("ok", oldest.Messages[1].Reactions.Single().Emoji);
            var straddling = await silo.Conversation(groupId).GetMessages(c.Id, new HistoryQuery(After: 30, Limit: 100)).WaitAsync(ChatSilo.Timeout);
            Assert.Equal(Enumerable.Range(31, 100).Select(i => (long)i), straddling.Messages.Select(m => m.Seq));

            await silo.InboxWhenAsync(a, i => i.Conversations.Any(e => e.ConversationId == dmId && e.UnreadCount == 1 && e.IsStarred), "a's inbox settled");
            await silo.InboxWhenAsync(b, i => i.Conversations.Any(e => e.ConversationId == groupId && e.LastSeq == 151), "b's inbox settled");
            await silo.InboxWhenAsync(a, i => i.Conversations.Any(e => e.ConversationId == groupId && e.LastReadSeq == 150 && e.UnreadCount == 1), "a's group entry settled");
            (inboxes, histories, details) = await SnapshotAsync(silo, [a, b, c], [groupId, dmId]);
        }

        await using (var restarted = await ChatSilo.StartAsync(database.ConnectionString, SmallWindow))
        {
            var (inboxesAfter, historiesAfter, detailsAfter) = await SnapshotAsync(restarted, [a, b, c], [groupId, dmId]);
            Assert.Equal(inboxes, inboxesAfter);
            Assert.Equal(details, detailsAfter);
            Assert.Equal(histories, historiesAfter);
        }
    }

    private static async Task<(string Inboxes, string Histories, string Details)> SnapshotAsync(ChatSilo silo, UserProfile[] users, Guid[] conversations)
    {
        var inboxes = new List<Inbox>();
        var histories = new List<MessagePage>();
        var details = new List<ConversationDetails>();
        foreach (var user in users)
        {
            inboxes.Add(await silo.User(user.Id).GetInbox().WaitAsync(ChatSilo.Timeout));
            foreach (var conversation in conversations)
            {
                try
                {
                    details.Add(await silo.Conversation(conversation).GetDetails(user.Id).WaitAsync(ChatSilo.Timeout));
                    for (long before = long.MaxValue; ;)
                    {
                        var page = await silo.Conversation(conversation).GetMessages(user.Id, new HistoryQuery(Before: before == long.MaxValue ? null : before, Limit: 40)).WaitAsync(ChatSilo.Timeout);
                        histories.Add(page);
                        if (!page.HasMore)
                        {
                            break;
                        }

                        before = page.Messages[0].Seq;
                    }
                }
                catch (ChatException exception) when (exception.Code == ChatErrorCodes.NotParticipant)
                {
                }
            }
        }

        return (Json(inboxes), Json(histories), Json(details));
    }

    private static string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value);
}
