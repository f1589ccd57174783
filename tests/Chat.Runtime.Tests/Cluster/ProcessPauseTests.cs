using System.Diagnostics;
using Chat.Runtime.Hosting;
using Chat.Runtime.Membership;
using Chat.Runtime.Tests.Infrastructure;
using Chat.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Chat.Runtime.Tests.Cluster;

/// <summary>
/// Real pauses of a whole silo process (SIGSTOP/SIGCONT), as a long GC pause or a frozen VM would
/// cause: a pause shorter than the death timeout must kill nobody; a longer one gets the paused
/// silo declared dead, and when it wakes it fences itself instead of fighting the others.
/// </summary>
public sealed class ProcessPauseTests(PostgresDatabaseFixture database, ITestOutputHelper output) : IClassFixture<PostgresDatabaseFixture>
{
    private static async Task SignalAsync(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_silo_process_paused_for_less_than_the_death_timeout_is_not_declared_dead()
    {
        var connection = await database.Server.CreateDatabaseAsync("pause_short").WaitAsync(TimeSpan.FromSeconds(30));
        await using var cluster = new SiloProcesses(connection);
        await cluster.StartAsync(2);
        var state = cluster.ClientServices.GetRequiredService<ClusterClientState>();

        await SignalAsync(cluster.Processes[0], "STOP");
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await SignalAsync(cluster.Processes[0], "CONT");
        await Task.Delay(TimeSpan.FromSeconds(5));

        Assert.All(state.View.Members.Where(m => m.Status != SiloStatus.Dead || m.HeartbeatAge < TimeSpan.FromMinutes(1)), m => Assert.Equal(SiloStatus.Active, m.Status));
        Assert.Equal(2, state.View.ActiveSilos.Count);
        Assert.False(cluster.Processes[0].HasExited);
    }

    [Fact]
    public async Task A_silo_process_paused_past_the_death_timeout_is_declared_dead_and_fences_itself_when_it_wakes()
    {
        var connection = await database.Server.CreateDatabaseAsync("pause_long").WaitAsync(TimeSpan.FromSeconds(30));
        await using var cluster = new SiloProcesses(connection);
        await cluster.StartAsync(2);
        var state = cluster.ClientServices.GetRequiredService<ClusterClientState>();
        var paused = cluster.Processes[0];

        await SignalAsync(paused, "STOP");
        var stopped = Stopwatch.StartNew();
        await Probe.WaitUntilAsync(() => state.View.ActiveSilos.Count == 1, TimeSpan.FromSeconds(30), "the paused silo should be declared dead");
        output.WriteLine($"paused silo declared dead after {stopped.Elapsed.TotalSeconds:F1} s");
        await SignalAsync(paused, "CONT");

        // It finds itself dead and stops, rather than declaring the others dead.
        await paused.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(state.View.ActiveSilos);
        Assert.False(cluster.Processes[1].HasExited);
    }
}
