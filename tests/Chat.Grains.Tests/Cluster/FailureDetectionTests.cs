using System.Diagnostics;
using Chat.Grains.Tests.Infrastructure;
using Chat.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Chat.Grains.Tests.Cluster;

/// <summary>
/// The product's failure detection (<c>FailureDetection.Apply</c>: 1 s probes, 3 missed probes,
/// 2 votes, 2 s table refresh) on real silo processes and the PostgreSQL membership table: a
/// crashed silo is declared dead within seconds, a short pause or a short database outage kills nobody.
/// </summary>
public sealed class FailureDetectionTests(PostgresDatabaseFixture database, ITestOutputHelper output) : IClassFixture<PostgresDatabaseFixture>
{
    private const int Active = 3;
    private const int Dead = 6;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>The issue's bar for declaring a SIGKILLed silo dead.</summary>
    private static readonly TimeSpan DeathBar = TimeSpan.FromSeconds(5);

    /// <summary>What this test asserts: the bar plus room for a shared, slow machine (the figure is printed).</summary>
    private static readonly TimeSpan DeathAssertBound = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_sigkilled_silo_of_three_is_declared_dead_by_the_others_within_seconds()
    {
        var connection = await database.Server.CreateDatabaseAsync("fd_kill").WaitAsync(Timeout);
        await using var cluster = await ProcessCluster.StartAsync(connection, 3);
        await WaitForRowsAsync(cluster, r => r.Count == 3 && r.Values.All(s => s == Active), "three active rows");
        var victim = cluster.Silos[1];

        var clock = Stopwatch.StartNew();
        victim.Kill();
        var killed = clock.Elapsed;
        TimeSpan? declaredDead = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var rows = await ReadRowsAsync(cluster);
            if (rows.TryGetValue(victim.SiloPort, out var status) && status == Dead)
            {
                declaredDead = clock.Elapsed;
                break;
            }

            await Task.Delay(100);
        }

        Assert.True(declaredDead is not null, $"{victim} was not declared dead within 60 s: {cluster.Describe()}");
        var seconds = (declaredDead.Value - killed).TotalSeconds;
        output.WriteLine($"{victim} declared Dead (status 6) {seconds:0.00} s after SIGKILL (bar {DeathBar.TotalSeconds:0} s: {(seconds <= DeathBar.TotalSeconds ? "met" : "NOT met")}).");
        Assert.True(seconds <= DeathAssertBound.TotalSeconds, $"declared dead after {seconds:0.00} s (> {DeathAssertBound.TotalSeconds:0} s): {cluster.Describe()}");

        // The survivors stay, and the cluster as its members see it is the two of them.
        var after = await ReadRowsAsync(cluster);
        Assert.All(cluster.Silos.Where(s => s != victim), s => Assert.Equal(Active, after[s.SiloPort]));
        await cluster.WaitForActiveSilosAsync(2);
    }

    [Fact]
    public async Task A_silo_paused_for_two_seconds_is_not_declared_dead_and_nobody_else_is()
    {
        var connection = await database.Server.CreateDatabaseAsync("fd_pause").WaitAsync(Timeout);
        await using var cluster = await ProcessCluster.StartAsync(connection, 3);
        await WaitForRowsAsync(cluster, r => r.Count == 3 && r.Values.All(s => s == Active), "three active rows");
        var paused = cluster.Silos[1];

        using var stop = new CancellationTokenSource();
        var observer = ObserveAllActiveAsync(cluster, stop.Token);
        var clock = Stopwatch.StartNew();
        try
        {
            await paused.SignalAsync("STOP");
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        finally
        {
            await paused.SignalAsync("CONT");
        }

        var resumed = clock.Elapsed;
        output.WriteLine($"{paused} paused (SIGSTOP) for {resumed.TotalSeconds:0.00} s, then SIGCONT.");
        await Task.Delay(TimeSpan.FromSeconds(5));
        stop.Cancel();
        var observation = await observer.WaitAsync(Timeout);
        output.WriteLine($"{observation.Polls} polls of the membership table over {clock.Elapsed.TotalSeconds:0.0} s.");

        Assert.True(observation.Violation is null, $"{observation.Violation} (at {observation.At.TotalSeconds:0.00} s): {cluster.Describe()}");
        Assert.All(cluster.Silos, s => Assert.False(s.HasExited, $"{s} exited: {s.Describe()}"));
        await cluster.WaitForActiveSilosAsync(3, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_seven_second_database_outage_declares_no_silo_dead_and_the_silos_answer_grain_calls_afterwards()
    {
        var connection = await database.Server.CreateDatabaseAsync("fd_outage").WaitAsync(Timeout);
        var name = new NpgsqlConnectionStringBuilder(connection).Database!;
        await using var cluster = await ProcessCluster.StartAsync(connection, 2);
        await WaitForRowsAsync(cluster, r => r.Count == 2 && r.Values.All(s => s == Active), "two active rows");
        await ChatSilo.RegisterAsync(cluster.Client, "before").WaitAsync(Timeout);

        var clock = Stopwatch.StartNew();
        try
        {
            await AdminAsync($"ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false",
                $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
            output.WriteLine($"connections to {name} blocked and terminated at {clock.Elapsed.TotalSeconds:0.00} s");
            await Task.Delay(TimeSpan.FromSeconds(7));
        }
        finally
        {
            await AdminAsync($"ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true");
        }

        var restored = clock.Elapsed;
        output.WriteLine($"connections allowed again at {restored.TotalSeconds:0.00} s");

        // Observed from the moment the database is back until 10 s later: a silo voted dead during
        // the outage would show here (Dead is final), one voted dead just after it too.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var observation = await ObserveAllActiveAsync(cluster, stop.Token).WaitAsync(Timeout);
        output.WriteLine($"{observation.Polls} polls of the membership table after the outage.");
        Assert.True(observation.Violation is null, $"{observation.Violation} (at {observation.At.TotalSeconds:0.00} s after the outage): {cluster.Describe()}");
        Assert.All(cluster.Silos, s => Assert.False(s.HasExited, $"{s} exited: {s.Describe()}"));

        // Every silo answers (the management grain fans out to each one), and grains that use the
        // database work again.
        var callsFrom = clock.Elapsed - restored;
        var calls = Stopwatch.StartNew();
        var management = cluster.Client.GetGrain<IManagementGrain>(0);
        var hosts = await AnswerAsync(() => management.GetHosts(onlyActive: true), "the active hosts");
        Assert.Equal(2, hosts.Count);
        var statistics = await AnswerAsync(() => management.GetRuntimeStatistics([.. hosts.Keys]), "runtime statistics of both silos");
        Assert.Equal(2, statistics.Length);
        for (var i = 0; i < 4; i++)
        {
            var user = await AnswerAsync(() => ChatSilo.RegisterAsync(cluster.Client, $"after{i}"), $"registration {i} after the outage");
            Assert.NotEqual(Guid.Empty, user.Id);
        }

        output.WriteLine($"grain calls (hosts, statistics of both silos, 4 registrations) answered in {calls.Elapsed.TotalSeconds:0.00} s, starting {callsFrom.TotalSeconds:0.00} s after the outage");
    }

    /// <summary>
    /// The answer of <paramref name="call"/>, retried within 30 s if it fails (a pooled connection
    /// killed by the outage may fail one call); failed attempts are printed.
    /// </summary>
    private async Task<T> AnswerAsync<T>(Func<Task<T>> call, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await call().WaitAsync(Timeout);
            }
            catch (Exception exception) when (deadline.Elapsed < Timeout)
            {
                output.WriteLine($"{what}: attempt failed after {deadline.Elapsed.TotalSeconds:0.00} s: {exception.GetType().Name}: {exception.Message}");
                await Task.Delay(200);
            }
        }
    }

    /// <summary>Status of each of the cluster's membership rows, by silo port.</summary>
    private static async Task<Dictionary<int, int>> ReadRowsAsync(ProcessCluster cluster)
    {
        // Unpooled: the outage test terminates every session of the database.
        await using var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Pooling = false }.ConnectionString);
        await db.OpenAsync().WaitAsync(Timeout);
        await using var command = new NpgsqlCommand("SELECT port, status FROM orleansmembershiptable WHERE deploymentid = $1", db);
        command.Parameters.AddWithValue(cluster.ClusterId);
        var rows = new Dictionary<int, int>();
        await using var reader = await command.ExecuteReaderAsync().WaitAsync(Timeout);
        while (await reader.ReadAsync().WaitAsync(Timeout))
        {
            rows[Convert.ToInt32(reader.GetValue(0))] = Convert.ToInt32(reader.GetValue(1));
        }

        return rows;
    }

    private static async Task WaitForRowsAsync(ProcessCluster cluster, Func<Dictionary<int, int>, bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var rows = await ReadRowsAsync(cluster);
            if (condition(rows))
            {
                return;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60),
                $"not {what}: {string.Join(", ", rows.Select(r => $"{r.Key}={r.Value}"))}: {cluster.Describe()}");
            await Task.Delay(100);
        }
    }

    private sealed record Observation(int Polls, string? Violation, TimeSpan At);

    /// <summary>Polls the table every 100 ms until <paramref name="stop"/>; the first row of the cluster's silos not Active ends it.</summary>
    private static async Task<Observation> ObserveAllActiveAsync(ProcessCluster cluster, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var polls = 0;
        while (!stop.IsCancellationRequested)
        {
            var rows = await ReadRowsAsync(cluster);
            polls++;
            foreach (var silo in cluster.Silos)
            {
                if (!rows.TryGetValue(silo.SiloPort, out var status) || status != Active)
                {
                    return new Observation(polls, $"{silo} has status {(rows.ContainsKey(silo.SiloPort) ? status : "none")}, not Active ({Active})", clock.Elapsed);
                }
            }

            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return new Observation(polls, null, clock.Elapsed);
    }

    private async Task AdminAsync(params string[] statements)
    {
        await using var connection = new NpgsqlConnection(database.Server.ConnectionString);
        await connection.OpenAsync().WaitAsync(Timeout);
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync().WaitAsync(Timeout);
        }
    }
}
