using Chat.Grains.Tests.Infrastructure;
using Chat.Testing;
using Xunit.Abstractions;

namespace Chat.Grains.Tests.Events;

/// <summary>
/// A user's event log across activations: a grain handed over by a silo that stops gracefully keeps
/// its epoch (clients resume where they were); one lost with a crashed silo starts a new epoch
/// (clients are told to resync).
/// </summary>
public sealed class EventLogEpochTests(PostgresDatabaseFixture database, ITestOutputHelper output) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly TimeSpan Timeout = ChatSilo.Timeout;

    [Fact]
    public async Task A_user_grain_moved_by_a_graceful_silo_stop_keeps_its_epoch_and_resumes_from_the_last_position()
    {
        var connection = await database.Server.CreateDatabaseAsync("epoch_move").WaitAsync(Timeout);
        await using var silos = await ChatSilo.StartClusterAsync(connection, new ChatSiloSetup { Silos = 2 });
        var cluster = silos.Cluster;
        var client = cluster.Client;
        var (ann, ben, dm, latest) = await UserWithEventsAsync(client);

        var address = await client.GetGrain<IManagementGrain>(0).GetActivationAddress(client.GetGrain<IUserGrain>(ann.Id)).AsTask().WaitAsync(Timeout);
        var host = cluster.Silos.Single(s => s.SiloAddress.Equals(address));
        output.WriteLine($"ann's grain on {host.Name}; stopping it gracefully at {latest}");
        await cluster.StopSiloAsync(host).WaitAsync(TimeSpan.FromSeconds(60));

        var resumed = await RetryAsync(() => client.GetGrain<IUserGrain>(ann.Id).ReadEvents(latest));
        var movedTo = await client.GetGrain<IManagementGrain>(0).GetActivationAddress(client.GetGrain<IUserGrain>(ann.Id)).AsTask().WaitAsync(Timeout);

        Assert.NotEqual(address, movedTo);
        Assert.False(resumed.TooOld, $"resuming at {latest} after the move answered too old (latest {resumed.Latest})");
        Assert.Empty(resumed.Events);
        Assert.Equal(latest, resumed.Latest);
        // The next event continues the epoch.
        await client.GetGrain<IConversationGrain>(dm).SendMessage(ben.Id, new SendMessageRequest("after", "after")).WaitAsync(Timeout);
        var next = await client.GetGrain<IUserGrain>(ann.Id).ReadEvents(latest).WaitAsync(Timeout);
        Assert.False(next.TooOld);
        Assert.Equal(latest.Next, next.Events[0].Position);
    }

    [Fact]
    public async Task A_user_grain_lost_with_a_killed_silo_process_starts_a_new_epoch_and_older_positions_are_too_old()
    {
        var connection = await database.Server.CreateDatabaseAsync("epoch_kill").WaitAsync(Timeout);
        await using var cluster = await ProcessCluster.StartAsync(connection, 2);
        var client = cluster.Client;
        var (ann, ben, dm, latest) = await UserWithEventsAsync(client);
        var host = await cluster.HostOfAsync(client.GetGrain<IUserGrain>(ann.Id));
        output.WriteLine($"ann's grain on {host}; killing it at {latest}");

        host.Kill();
        EventReplay after;
        try
        {
            after = await RetryAsync(() => client.GetGrain<IUserGrain>(ann.Id).ReadEvents(latest));
        }
        catch (Exception exception)
        {
            throw new Xunit.Sdk.XunitException($"ReadEvents after the kill failed: {exception}{Environment.NewLine}{cluster.Describe()}");
        }

        Assert.True(after.TooOld, $"{latest} of the lost activation should be too old (latest {after.Latest})");
        Assert.Empty(after.Events);
        Assert.NotEqual(latest.Epoch, after.Latest.Epoch);
        Assert.True(after.Latest.Epoch > latest.Epoch);
        // The new epoch is a log like any other: positions from 1, replayable.
        await client.GetGrain<IConversationGrain>(dm).SendMessage(ben.Id, new SendMessageRequest("after", "after")).WaitAsync(Timeout);
        var fresh = await client.GetGrain<IUserGrain>(ann.Id).ReadEvents(new EventPosition(after.Latest.Epoch, 0)).WaitAsync(Timeout);
        Assert.False(fresh.TooOld);
        Assert.Equal(Enumerable.Range(1, fresh.Events.Length).Select(i => (long)i), fresh.Events.Select(e => e.Position.Seq));
        Assert.All(fresh.Events, e => Assert.Equal(after.Latest.Epoch, e.Position.Epoch));
    }

    /// <summary>ann, in a DM with ben where both sent messages: ann's log has events. Returns them, the DM and ann's newest position.</summary>
    private static async Task<(UserProfile Ann, UserProfile Ben, Guid Dm, EventPosition Latest)> UserWithEventsAsync(IClusterClient client)
    {
        var ann = await ChatSilo.RegisterAsync(client, "ann");
        var ben = await ChatSilo.RegisterAsync(client, "ben");
        var org = Guid.NewGuid();
        await client.GetGrain<IOrganizationGrain>(org).Create(ann.Id, "Epochs").WaitAsync(Timeout);
        await client.GetGrain<IOrganizationGrain>(org).AddMember(ann.Id, ben.Username).WaitAsync(Timeout);
        var dm = (await client.OpenDirectConversationAsync(ann.Id, ben.Id, org).WaitAsync(Timeout)).Conversation.Id;
        for (var i = 0; i < 3; i++)
        {
            await client.GetGrain<IConversationGrain>(dm).SendMessage(i % 2 == 0 ? ben.Id : ann.Id, new SendMessageRequest($"e{i}", $"event {i}")).WaitAsync(Timeout);
        }

        // Acknowledged sends were told to ann: the log holds them, and nothing else is on its way.
        var replay = await client.GetGrain<IUserGrain>(ann.Id).ReadEvents(default).WaitAsync(Timeout);
        Assert.True(replay.TooOld);
        Assert.True(replay.Latest.Seq >= 3, $"ann's log should hold the three messages (latest {replay.Latest})");
        return (ann, ben, dm, replay.Latest);
    }

    /// <summary>Retries a call while the cluster is losing a silo (each attempt with its own timeout), for up to a minute.</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return await call().WaitAsync(Timeout + TimeSpan.FromSeconds(5));
            }
            catch (Exception exception) when (ProcessCluster.IsTransient(exception) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
