using Chat.Runtime.Hosting;
using Chat.Runtime.Tests.Grains;
using Chat.Runtime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Runtime.Tests;

public sealed class PersistenceTests(RuntimeDatabaseFixture database) : IClassFixture<RuntimeDatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private Task<SingleSilo> StartPostgresSiloAsync() => SingleSilo.StartAsync(
        configuration: new() { ["Chat:Database:ConnectionString"] = database.ConnectionString },
        silo: s => s.AddPostgresGrainStorage());

    [Fact]
    public async Task Grain_state_survives_a_silo_restart_in_PostgreSQL()
    {
        var key = "restart-" + Guid.NewGuid().ToString("N");
        await using (var silo = await StartPostgresSiloAsync())
        {
            await silo.GrainFactory.GetGrain<ILifecycleGrain>(key).WriteNote("persisted").WaitAsync(Timeout);
        }

        await using (var silo = await StartPostgresSiloAsync())
        {
            Assert.Equal("persisted", await silo.GrainFactory.GetGrain<ILifecycleGrain>(key).ReadNote().WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task A_storage_conflict_fails_the_call_deactivates_the_activation_and_the_retry_sees_fresh_state()
    {
        var key = "conflict-" + Guid.NewGuid().ToString("N");
        await using var silo = await StartPostgresSiloAsync();
        var grain = silo.GrainFactory.GetGrain<ILifecycleGrain>(key);
        await grain.WriteNote("mine").WaitAsync(Timeout);
        var first = await grain.InstanceId().WaitAsync(Timeout);

        // Another writer (a duplicate activation elsewhere) moves the stored version on.
        var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Default);
        var other = new Box();
        await storage.ReadStateAsync("lifecycle", grain.GetGrainId(), other, default).WaitAsync(Timeout);
        other.State.Note = "theirs";
        other.State.Writes = 100;
        await storage.WriteStateAsync("lifecycle", grain.GetGrainId(), other, default).WaitAsync(Timeout);

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.WriteNote("lost-update").WaitAsync(Timeout));
        await Probe.WaitUntilAsync(() => silo.Probe.Events.Contains($"{key}:deactivate:InconsistentState"));
        Assert.NotEqual(first, await grain.InstanceId().WaitAsync(Timeout));
        Assert.Equal("theirs", await grain.ReadNote().WaitAsync(Timeout));
        await grain.WriteNote("retried").WaitAsync(Timeout);
        Assert.Equal("retried", await grain.ReadNote().WaitAsync(Timeout));
    }

    private sealed class Box : IGrainState<LifecycleState>
    {
        public LifecycleState State { get; set; } = new();

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }
}

public sealed class HostingTests
{
    [Fact]
    public async Task Invalid_options_stop_the_silo_at_start_with_a_message_naming_the_option()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => SingleSilo.StartAsync(configuration: new() { ["Chat:Messaging:ResponseTimeout"] = "-00:00:01" }));
        Assert.Contains("Chat:Messaging:ResponseTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_storage_without_a_connection_string_fails_at_start_naming_the_option()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => SingleSilo.StartAsync(silo: s => s.AddPostgresGrainStorage()));
        Assert.Contains("Chat:Database:ConnectionString", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_silo_deactivates_its_grains_and_refuses_further_calls()
    {
        var silo = await SingleSilo.StartAsync();
        var grain = silo.GrainFactory.GetGrain<ILifecycleGrain>("shutdown");
        var probe = silo.Probe;
        await grain.InstanceId().WaitAsync(Timeout);
        await silo.DisposeAsync();
        Assert.Contains("shutdown:deactivate:ShuttingDown", probe.Events);
        await Assert.ThrowsAsync<SiloUnavailableException>(() => grain.InstanceId().WaitAsync(Timeout));
    }

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
}
