using System.Collections.Concurrent;
using Chat.Grains.Tests.Infrastructure;
using Chat.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Chat.Grains.Tests.Domain;

/// <summary>
/// The chat domain on several silos: an in-process test cluster for what needs no crash, real silo
/// processes (sockets between silos, ADO.NET membership, a cluster client) for a SIGKILLed silo.
/// </summary>
public sealed class ClusterDomainTests(PostgresDatabaseFixture database, ITestOutputHelper output) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly Guid Alice = Guid.Parse("a1111111-1111-1111-1111-111111111111");
    private static readonly Guid Bob = Guid.Parse("a2222222-2222-2222-2222-222222222222");
    private static readonly Guid AliceBob = Guid.Parse("c1000001-0001-0001-0001-000000000001");
    private static readonly Guid Warehouse = Guid.Parse("c1000001-0001-0001-0001-000000000004");

    [Fact]
    public async Task On_two_silos_the_demo_inboxes_are_the_same_from_the_client_and_from_every_silo()
    {
        var connection = await database.Server.CreateDatabaseAsync("cluster_demo").WaitAsync(Timeout);
        await using var silos = await ChatSilo.StartClusterAsync(connection, new ChatSiloSetup
        {
            Silos = 2,
            Configuration = new Dictionary<string, string?> { ["Chat:Demo:Load"] = "true" },
        });
        var cluster = silos.Cluster;
        var factories = cluster.Silos.Select(s => s.SiloHost.Services.GetRequiredService<IGrainFactory>()).Prepend(cluster.Client).ToArray();
        Assert.Equal(3, factories.Length);
        foreach (var factory in factories)
        {
            var alice = await factory.GetGrain<IUserGrain>(Alice).GetInbox().WaitAsync(Timeout);
            Assert.Equal(new[] { AliceBob, Warehouse }, alice.Conversations.Select(c => c.ConversationId));
            Assert.Equal((0, true), (alice.Conversations[0].UnreadCount, alice.Conversations[0].IsStarred));
            Assert.Equal((1, true), (alice.Conversations[1].UnreadCount, alice.Conversations[1].IsMuted));
            var bob = await factory.GetGrain<IUserGrain>(Bob).GetInbox().WaitAsync(Timeout);
            Assert.Equal(1, bob.Conversations.Single(c => c.ConversationId == AliceBob).UnreadCount);
        }

        // A send through the client is seen by the recipient's inbox on whichever silo holds it.
        var sent = await cluster.Client.GetGrain<IConversationGrain>(AliceBob)
            .SendMessage(Bob, new SendMessageRequest(Guid.NewGuid().ToString("N"), "across silos")).WaitAsync(Timeout);
        Assert.True(sent.Created);
        await ChatSilo.EventuallyAsync(
            () => cluster.Client.GetGrain<IUserGrain>(Alice).GetInbox(),
            i => i.Conversations[0].LastMessage?.Text == "across silos" && i.Conversations[0].UnreadCount == 1,
            "alice's inbox shows bob's new message");
    }

    [Fact]
    public async Task Sends_retried_through_a_silo_kill_are_stored_once_each_with_gapless_seqs()
    {
        var connection = await database.Server.CreateDatabaseAsync("cluster_kill").WaitAsync(Timeout);
        await using var cluster = await ProcessCluster.StartAsync(connection, 3);
        var client = cluster.Client;
        var users = new List<UserProfile>();
        for (var i = 0; i < 4; i++)
        {
            users.Add(await ChatSilo.RegisterAsync(client, $"k{i}"));
        }

        var org = Guid.NewGuid();
        await client.GetGrain<IOrganizationGrain>(org).Create(users[0].Id, "Kill test").WaitAsync(Timeout);
        foreach (var member in users.Skip(1))
        {
            await client.GetGrain<IOrganizationGrain>(org).AddMember(users[0].Id, member.Username).WaitAsync(Timeout);
        }

        var conversations = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            var id = Guid.NewGuid();
            await client.GetGrain<IConversationGrain>(id)
                .CreateGroup(users[0].Id, new CreateGroupRequest(org, $"group {i}", [.. users.Skip(1).Select(u => u.Id)])).WaitAsync(Timeout);
            conversations.Add(id);
        }

        var acknowledged = new ConcurrentDictionary<string, (Guid Conversation, Guid Message, long Seq)>();
        var failures = 0;
        var retried = new Dictionary<string, int>();
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 12).Select(s => Task.Run(async () =>
        {
            var sender = users[s % users.Count];
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var conversation = conversations[(s + n) % conversations.Count];
                var clientMessageId = $"s{s}-n{n}";
                while (true)
                {
                    try
                    {
                        // Longer than the client's response timeout, so a send that waits that long ends
                        // with its TimeoutException (retried below) rather than this test's timeout.
                        var result = await client.GetGrain<IConversationGrain>(conversation)
                            .SendMessage(sender.Id, new SendMessageRequest(clientMessageId, $"message {clientMessageId}")).WaitAsync(ProcessCluster.ResponseTimeout + Timeout);
                        acknowledged[clientMessageId] = (conversation, result.Message.Id, result.Message.Seq);
                        break;
                    }
                    catch (Exception ex) when (ProcessCluster.IsTransient(ex) || ex is InconsistentStateException
                        || (ex is ChatException { Code: ChatErrorCodes.Conflict }))
                    {
                        lock (retried)
                        {
                            retried[ex.GetType().Name] = retried.GetValueOrDefault(ex.GetType().Name) + 1;
                        }

                        // Same client message id: if the first attempt was stored, the retry returns it.
                        Interlocked.Increment(ref failures);
                        await Task.Delay(50);
                    }
                }
            }
        })).ToArray();

        // Sends flow, then one silo crashes while they do; sending goes on through the others.
        await ChatSilo.EventuallyAsync(() => Task.FromResult(acknowledged.Count), n => n >= 50, "50 sends before the kill", TimeSpan.FromSeconds(60));
        var victim = await cluster.HostOfAsync(client.GetGrain<IConversationGrain>(conversations[0]));
        output.WriteLine($"killing {victim}");
        victim.Kill();
        var atKill = acknowledged.Count;
        await cluster.WaitForActiveSilosAsync(2);
        await ChatSilo.EventuallyAsync(() => Task.FromResult(acknowledged.Count), n => n >= atKill + 100, "100 sends after the kill", TimeSpan.FromSeconds(60));
        stop.Cancel();
        await Task.WhenAll(senders).WaitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine($"{acknowledged.Count} sends acknowledged ({atKill} before the kill), {failures} attempts retried: "
            + string.Join(", ", retried.Select(r => $"{r.Key} x{r.Value}")));

        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        foreach (var conversation in conversations)
        {
            await using var command = new NpgsqlCommand(
                "SELECT seq, client_message_id, id FROM messages WHERE conversation_id = $1 AND type = 'text' ORDER BY seq", db);
            command.Parameters.AddWithValue(conversation);
            var rows = new List<(long Seq, string ClientId, Guid Id)>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetGuid(2)));
                }
            }

            await using var all = new NpgsqlCommand("SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq", db);
            all.Parameters.AddWithValue(conversation);
            var seqs = new List<long>();
            await using (var reader = await all.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    seqs.Add(reader.GetInt64(0));
                }
            }

            Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
            Assert.Equal(rows.Count, rows.Select(r => r.ClientId).Distinct().Count());
            foreach (var (clientId, ack) in acknowledged.Where(a => a.Value.Conversation == conversation))
            {
                var row = Assert.Single(rows, r => r.ClientId == clientId);
                Assert.Equal((ack.Message, ack.Seq), (row.Id, row.Seq));
            }
        }
    }
}
