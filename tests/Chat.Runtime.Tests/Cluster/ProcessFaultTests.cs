using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Chat.Runtime.SiloProcess;
using Chat.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Chat.Runtime.Tests.Cluster;

public sealed class ProcessFaultTests(PostgresDatabaseFixture database, ITestOutputHelper output) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task After_kill_minus_9_of_one_of_three_silo_processes_every_acknowledged_write_is_stored_exactly_once()
    {
        await using var cluster = new SiloProcesses(database.ConnectionString);
        await cluster.StartAsync(3);
        var keys = Enumerable.Range(0, 40).Select(i => $"fault-{i}").ToArray();
        var acknowledged = new ConcurrentDictionary<string, ConcurrentBag<long>>();
        var failures = new ConcurrentBag<DateTime>();
        long next = 0;
        using var stop = new CancellationTokenSource();

        var callers = Enumerable.Range(0, 16).Select(c => Task.Run(async () =>
        {
            var i = c;
            while (!stop.IsCancellationRequested)
            {
                var key = keys[i++ % keys.Length];
                var value = Interlocked.Increment(ref next);
                // Retried with the same value until it succeeds: the grain appends a value once.
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await cluster.Client.GetGrain<IAppendGrain>(key).Append(value).WaitAsync(TimeSpan.FromSeconds(30));
                        acknowledged.GetOrAdd(key, _ => []).Add(value);
                        break;
                    }
                    catch (Exception ex) when (ex is SiloUnavailableException or GrainCallTimeoutException or InconsistentStateException)
                    {
                        failures.Add(DateTime.UtcNow);
                        await Task.Delay(20);
                    }
                }
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(2));
        var victim = cluster.Processes[1];
        var killedAt = DateTime.UtcNow;
        var ackedBeforeKill = acknowledged.Values.Sum(b => b.Count);
        victim.Kill();
        await Task.Delay(TimeSpan.FromSeconds(12));
        stop.Cancel();
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));

        var lastFailure = failures.IsEmpty ? killedAt : failures.Max();
        var recovery = lastFailure - killedAt;
        var acked = acknowledged.Values.Sum(b => b.Count);
        output.WriteLine($"acknowledged {ackedBeforeKill} writes before the kill, {acked} in all; {failures.Count} failed attempts; calls succeeded again {recovery.TotalSeconds:F1} s after the kill");
        Assert.True(acked > ackedBeforeKill + 100, "writes must continue after the kill");
        Assert.True(recovery < TimeSpan.FromSeconds(10), $"calls should succeed again within 10 s of the kill (took {recovery.TotalSeconds:F1} s)");

        // Read PostgreSQL directly: every acknowledged value is there, and no value is there twice.
        var stored = await ReadStoredValuesAsync();
        foreach (var key in keys)
        {
            var values = stored.GetValueOrDefault(key) ?? [];
            Assert.Equal(values.Count, values.Distinct().Count());
            foreach (var value in acknowledged.GetValueOrDefault(key) ?? [])
            {
                Assert.Contains(value, values);
            }
        }
    }

    private async Task<Dictionary<string, List<long>>> ReadStoredValuesAsync()
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT grain_key, payload::text FROM grain_state WHERE grain_type = 'IAppendGrain' AND state_name = 'append'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new Dictionary<string, List<long>>();
        while (await reader.ReadAsync())
        {
            var state = JsonSerializer.Deserialize<AppendState>(reader.GetString(1), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
            result[reader.GetString(0)] = state.Values;
        }

        return result;
    }
}
