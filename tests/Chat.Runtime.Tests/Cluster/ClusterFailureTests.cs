using Chat.Runtime.SiloProcess;
using System.Diagnostics;
using Chat.Runtime.Membership;
using Chat.Runtime.Testing;
using Chat.Runtime.Tests.Grains;
using Chat.Runtime.Tests.Infrastructure;
using Chat.Testing;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Chat.Runtime.Tests.Cluster;

/// <summary>Tests that kill, stop, start and pause silos: each builds its own cluster.</summary>
public sealed class ClusterFailureTests(PostgresDatabaseFixture database, ITestOutputHelper output) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly TimeSpan Timeout = TestClusters.Timeout;
    private readonly Probe _probe = new();

    private Task<TestCluster> StartAsync(int silos = 2) => TestClusters.StartAsync(database.ConnectionString, _probe, silos);

    private static TestSilo HostOf(TestCluster cluster, string address) => cluster.Silos.Single(s => s.Address.ToString() == address);

    [Fact]
    public async Task A_grain_keeps_working_with_its_persisted_state_after_its_silo_is_killed()
    {
        await using var cluster = await StartAsync();
        var grain = cluster.Client.GetGrain<IAppendGrain>("survivor");
        await grain.Append(1).WaitAsync(Timeout);
        await grain.Append(2).WaitAsync(Timeout);
        var victim = HostOf(cluster, await grain.WhereAmI().WaitAsync(Timeout));

        var killed = Stopwatch.StartNew();
        await cluster.KillSiloAsync(victim);
        var count = await TestClusters.EventuallyAsync(() => grain.Append(3));
        output.WriteLine($"first successful call {killed.Elapsed.TotalSeconds:F2} s after the kill");
        Assert.Equal(3, count);
        var values = await grain.Values().WaitAsync(Timeout);
        Assert.Equal(new long[] { 1, 2, 3 }, values);
        Assert.NotEqual(victim.Address.ToString(), await grain.WhereAmI().WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_killed_silo_is_declared_dead_by_the_others_within_the_detection_time()
    {
        await using var cluster = await StartAsync();
        var victim = cluster.Silos[0];
        var survivor = cluster.Silos[1];
        var killed = Stopwatch.StartNew();
        await cluster.KillSiloAsync(victim);
        await Probe.WaitUntilAsync(() => survivor.State.View.StatusOf(victim.Address) == SiloStatus.Dead, TimeSpan.FromSeconds(30), "the survivor should declare the victim dead");
        output.WriteLine($"declared dead {killed.Elapsed.TotalSeconds:F2} s after kill -9 (default death timeout 4 s)");
        await cluster.WaitForLivenessToStabilizeAsync();
    }

    [Fact]
    public async Task Calls_to_a_killed_silo_fail_fast_with_a_retryable_error_instead_of_timing_out()
    {
        await using var cluster = await StartAsync();
        var gate = "fail-fast-" + Guid.NewGuid();
        var grain = cluster.Client.GetGrain<ISchedulingGrain>(gate);
        var victim = cluster.Silos.Single(s => s.State.Address == Placement.PlacementDirector.GetOwner(grain.GetGrainId(), s.State.View));
        var hanging = grain.Hang(gate);
        await Probe.WaitUntilAsync(() => _probe.Count($"{gate}:hang-started") == 1);
        var killed = Stopwatch.StartNew();
        await cluster.KillSiloAsync(victim);
        await Assert.ThrowsAsync<SiloUnavailableException>(() => hanging.WaitAsync(Timeout));
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(10), $"failed after {killed.Elapsed}, expected well before the 30 s call timeout");
    }

    [Fact]
    public async Task A_graceful_stop_moves_grains_without_failing_calls()
    {
        await using var cluster = await StartAsync(3);
        var keys = Enumerable.Range(0, 30).Select(i => $"graceful-{i}").ToArray();
        foreach (var key in keys)
        {
            await cluster.Client.GetGrain<IAppendGrain>(key).Append(0).WaitAsync(Timeout);
        }

        var failures = 0;
        long next = 1;
        using var stop = new CancellationTokenSource();
        var callers = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            var i = c;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await cluster.Client.GetGrain<IAppendGrain>(keys[i++ % keys.Length]).Append(Interlocked.Increment(ref next)).WaitAsync(Timeout);
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref failures);
                    output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} call failed: {ex.GetType().Name}: {ex.Message}; client view v{cluster.ClientServices.GetRequiredService<Hosting.ClusterClientState>().View.Version}");
                }
            }
        })).ToArray();

        await Task.Delay(300);
        var leaving = cluster.Silos[1];
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} stopping {leaving}");
        await cluster.StopSiloAsync(leaving);
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} stopped");
        await Task.Delay(500);
        stop.Cancel();
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, failures);
        Assert.True(next > 100, "the callers should have made progress");
        await cluster.WaitForLivenessToStabilizeAsync();
        Assert.All(cluster.Silos, s => Assert.Equal(SiloStatus.Dead, s.State.View.StatusOf(leaving.Address)));
    }

    [Fact]
    public async Task A_grain_finishing_its_turn_on_a_stopping_silo_can_still_call_a_grain_on_that_silo()
    {
        await using var cluster = await StartAsync(2);
        var leaving = cluster.Silos[1];
        var address = leaving.Address.ToString();
        var relayKey = await FirstKeyOnAsync(i => cluster.Client.GetGrain<IRelayGrain>($"relay-{i}").WhereAmI(), address, "relay");
        var targetKey = await FirstKeyOnAsync(i => cluster.Client.GetGrain<IAppendGrain>($"target-{i}").WhereAmI(), address, "target");

        var call = cluster.Client.GetGrain<IRelayGrain>(relayKey).AskWhenOpened(targetKey);
        await Probe.WaitUntilAsync(() => _probe.Events.Contains($"{relayKey} started"), Timeout);
        var stop = cluster.StopSiloAsync(leaving);
        await Probe.WaitUntilAsync(() => !leaving.State.IsActive, Timeout, "the silo should begin to stop");
        _probe.Gate(relayKey).SetResult();

        // The relay's last turn holds the silo's deactivation; its call to a grain of the same silo
        // must run (here or at the next owner), not wait for a view in which the silo is gone.
        var answeredFrom = await call.WaitAsync(Timeout);
        await stop.WaitAsync(Timeout);
        Assert.False(string.IsNullOrEmpty(answeredFrom));
    }

    [Fact]
    public async Task A_stopping_silo_serves_calls_that_come_back_to_it_through_another_silo_on_behalf_of_its_own_turn()
    {
        await using var cluster = await StartAsync(2);
        var leaving = cluster.Silos[1];
        var staying = cluster.Silos[0];
        var relayKey = await FirstKeyOnAsync(i => cluster.Client.GetGrain<IRelayGrain>($"cycle-relay-{i}").WhereAmI(), leaving.Address.ToString(), "cycle-relay");
        var viaKey = await FirstKeyOnAsync(i => cluster.Client.GetGrain<IRelayGrain>($"cycle-via-{i}").WhereAmI(), staying.Address.ToString(), "cycle-via");
        var targetKey = await FirstKeyOnAsync(i => cluster.Client.GetGrain<IAppendGrain>($"cycle-target-{i}").WhereAmI(), leaving.Address.ToString(), "cycle-target");

        var call = cluster.Client.GetGrain<IRelayGrain>(relayKey).AskThroughWhenOpened(viaKey, targetKey);
        await Probe.WaitUntilAsync(() => _probe.Events.Contains($"{relayKey} started"), Timeout);
        var stop = cluster.StopSiloAsync(leaving);
        await Probe.WaitUntilAsync(() => !leaving.State.IsActive, Timeout, "the silo should begin to stop");
        _probe.Gate(relayKey).SetResult();

        // relay (stopping silo) -> via (other silo) -> target (stopping silo): the last hop serves the
        // stopping silo's own turn, so it runs there. Refused, it could only run once that silo is
        // dead, which waits for the relay's turn: each would wait for the other.
        var answeredFrom = await call.WaitAsync(Timeout);
        await stop.WaitAsync(Timeout);
        Assert.Equal(leaving.Address.ToString(), answeredFrom);
    }

    [Fact]
    public async Task A_call_queued_on_a_grain_that_moves_to_a_joining_silo_is_answered_by_the_new_owner()
    {
        await using var cluster = await StartAsync(1);
        var (keys, held) = await HoldRelaysAsync(cluster, "queued");
        // Queued behind the held turns on the only silo, before anyone knows of the next one.
        var places = keys.Select(k => cluster.Client.GetGrain<IRelayGrain>(k).WhereAmI()).ToArray();

        var joined = await cluster.StartAdditionalSiloAsync();
        await cluster.WaitForLivenessToStabilizeAsync();
        foreach (var key in keys)
        {
            _probe.Gate(key).SetResult();
        }

        // The old owner passes the queued calls of the grains that moved on to the new owner, and
        // relays each answer back to the caller it came from.
        await Task.WhenAll(held).WaitAsync(Timeout);
        var answered = await Task.WhenAll(places).WaitAsync(Timeout);
        Assert.Contains(joined.Address.ToString(), answered);
    }

    private async Task<(string[] Keys, Task<string>[] Held)> HoldRelaysAsync(TestCluster cluster, string prefix)
    {
        var keys = Enumerable.Range(0, 24).Select(i => $"{prefix}-{i}").ToArray();
        var held = keys.Select(k => cluster.Client.GetGrain<IRelayGrain>(k).AskWhenOpened(prefix + "-target")).ToArray();
        await Probe.WaitUntilAsync(() => keys.All(k => _probe.Events.Contains($"{k} started")), Timeout, "every relay should be in its held turn");
        return (keys, held);
    }

    [Fact]
    public async Task A_grain_moving_to_a_joining_silo_is_not_activated_there_before_its_old_activation_is_gone()
    {
        await using var cluster = await StartAsync(1);
        var (keys, held) = await HoldRelaysAsync(cluster, "handoff");

        var joined = await cluster.StartAdditionalSiloAsync();
        await cluster.WaitForLivenessToStabilizeAsync();
        // Queued behind the held turns: the grains that moved are asked for at the new silo.
        var places = keys.Select(k => cluster.Client.GetGrain<IRelayGrain>(k).WhereAmI()).ToArray();
        foreach (var key in keys)
        {
            _probe.Gate(key).SetResult();
        }

        await Task.WhenAll(held).WaitAsync(Timeout);
        var answered = await Task.WhenAll(places).WaitAsync(Timeout);
        Assert.Contains(joined.Address.ToString(), answered);

        // Per grain, activations and deactivations alternate: never two activations at once.
        foreach (var key in keys)
        {
            var lifecycle = _probe.Events.Where(e => e.StartsWith(key + " activated", StringComparison.Ordinal) || e.StartsWith(key + " deactivated", StringComparison.Ordinal)).ToArray();
            for (var i = 0; i < lifecycle.Length; i++)
            {
                Assert.True(lifecycle[i].Contains(i % 2 == 0 ? " activated " : " deactivated ", StringComparison.Ordinal), $"{key}: {string.Join(", ", lifecycle)}");
            }
        }
    }

    private static async Task<string> FirstKeyOnAsync(Func<int, Task<string>> whereIs, string address, string prefix)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await whereIs(i).WaitAsync(Timeout) == address)
            {
                return $"{prefix}-{i}";
            }
        }

        throw new InvalidOperationException($"No {prefix} key of 200 is placed on {address}.");
    }

    [Fact]
    public async Task A_joining_silo_takes_over_about_a_third_of_the_grains_and_the_others_let_them_go()
    {
        await using var cluster = await StartAsync(2);
        var keys = Enumerable.Range(0, 300).Select(i => $"join-{i}").ToArray();
        await Task.WhenAll(keys.Select(k => cluster.Client.GetGrain<IAppendGrain>(k).Values())).WaitAsync(Timeout);

        var joined = await cluster.StartAdditionalSiloAsync();
        await cluster.WaitForLivenessToStabilizeAsync();
        var places = await Task.WhenAll(keys.Select(k => cluster.Client.GetGrain<IAppendGrain>(k).WhereAmI())).WaitAsync(Timeout);
        var onNew = places.Count(p => p == joined.Address.ToString());
        output.WriteLine($"{onNew} of {keys.Length} grains moved to the new silo");
        Assert.InRange(onNew, 300 * 0.2, 300 * 0.47);

        // Moved grains were deactivated on their old silos: exactly one activation per grain.
        await Probe.WaitUntilAsync(
            () => cluster.Silos.Sum(s => s.State.ActivationsByType.GetValueOrDefault("IAppendGrain")) == keys.Length,
            TimeSpan.FromSeconds(30),
            "old owners should deactivate the grains that moved");
    }

    [Fact]
    public async Task A_pause_shorter_than_the_death_timeout_kills_nobody()
    {
        await using var cluster = await StartAsync(2);
        var paused = cluster.Silos[0];
        TestCluster.PauseSilo(paused, true);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        TestCluster.PauseSilo(paused, false);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.All(cluster.Silos, s => Assert.True(s.State.IsActive));
        Assert.All(cluster.Silos, s => Assert.All(s.State.View.Members, m => Assert.Equal(SiloStatus.Active, m.Status)));
    }

    [Fact]
    public async Task A_silo_paused_past_the_death_timeout_is_declared_dead_fences_itself_and_kills_nobody()
    {
        await using var cluster = await StartAsync(3);
        var paused = cluster.Silos[0];
        var others = cluster.Silos.Skip(1).ToArray();
        TestCluster.PauseSilo(paused, true);
        await Probe.WaitUntilAsync(() => others.All(o => o.State.View.StatusOf(paused.Address) == SiloStatus.Dead), TimeSpan.FromSeconds(30));
        TestCluster.PauseSilo(paused, false);
        await Probe.WaitUntilAsync(() => !paused.State.IsActive, TimeSpan.FromSeconds(30), "the paused silo should fence itself");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.All(others, o => Assert.True(o.State.IsActive));
        Assert.All(others, o => Assert.All(others, x => Assert.Equal(SiloStatus.Active, o.State.View.StatusOf(x.Address))));
        await cluster.KillSiloAsync(paused);
    }

    [Fact]
    public async Task A_database_outage_longer_than_the_death_timeout_kills_nobody()
    {
        var connection = await database.Server.CreateDatabaseAsync("outage").WaitAsync(Timeout);
        var name = new NpgsqlConnectionStringBuilder(connection).Database!;
        await using var cluster = await TestClusters.StartAsync(connection, _probe, 2);
        var grain = cluster.Client.GetGrain<IAppendGrain>("outage");
        await grain.Append(1).WaitAsync(Timeout);

        await SetDatabaseReachableAsync(name, false);
        await Task.Delay(TimeSpan.FromSeconds(7));
        await SetDatabaseReachableAsync(name, true);

        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.All(cluster.Silos, s => Assert.True(s.State.IsActive));
        Assert.All(cluster.Silos, s => Assert.All(s.State.View.Members, m => Assert.Equal(SiloStatus.Active, m.Status)));
        Assert.Equal(2, await TestClusters.EventuallyAsync(() => grain.Append(2)));
    }

    private async Task SetDatabaseReachableAsync(string name, bool reachable)
    {
        await using var admin = new NpgsqlConnection(database.Server.ConnectionString);
        await admin.OpenAsync();
        await using (var allow = new NpgsqlCommand($"ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS {(reachable ? "true" : "false")}", admin))
        {
            await allow.ExecuteNonQueryAsync();
        }

        if (!reachable)
        {
            await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", admin);
            kill.Parameters.AddWithValue(name);
            await kill.ExecuteNonQueryAsync();
        }
    }
}
