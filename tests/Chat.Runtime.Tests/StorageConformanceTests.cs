using System.Text.Json;
using Chat.Runtime.Persistence;
using Chat.Testing;
using Npgsql;

namespace Chat.Runtime.Tests;

public sealed class ConformanceState
{
    public string Name { get; set; } = "";

    public List<int> Values { get; set; } = [];
}

/// <summary>The contract every grain storage provider honours; run against each provider.</summary>
public abstract class GrainStorageConformance
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    protected static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected abstract IGrainStorage CreateStorage(string serviceId = "svc");

    private sealed class Box : IGrainState<ConformanceState>
    {
        public ConformanceState State { get; set; } = new();

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }

    private static GrainId NewId(string type = "IConformanceGrain") => new(type, Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Reading_a_missing_record_gives_a_default_state_without_an_etag()
    {
        var state = new Box { State = new ConformanceState { Name = "stale" }, ETag = "9", RecordExists = true };
        await CreateStorage().ReadStateAsync("s", NewId(), state, default).WaitAsync(Timeout);
        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal("", state.State.Name);
    }

    [Fact]
    public async Task A_written_state_reads_back_equal_with_the_new_etag()
    {
        var storage = CreateStorage();
        var id = NewId();
        var state = new Box { State = new ConformanceState { Name = "a", Values = [1, 2] } };
        await storage.WriteStateAsync("s", id, state, default).WaitAsync(Timeout);
        Assert.NotNull(state.ETag);
        Assert.True(state.RecordExists);

        var read = new Box();
        await storage.ReadStateAsync("s", id, read, default).WaitAsync(Timeout);
        Assert.Equal(state.ETag, read.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal("a", read.State.Name);
        Assert.Equal([1, 2], read.State.Values);
    }

    [Fact]
    public async Task Successive_writes_change_the_etag()
    {
        var storage = CreateStorage();
        var id = NewId();
        var state = new Box();
        await storage.WriteStateAsync("s", id, state, default).WaitAsync(Timeout);
        var first = state.ETag;
        await storage.WriteStateAsync("s", id, state, default).WaitAsync(Timeout);
        Assert.NotEqual(first, state.ETag);
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_conflicts_and_changes_nothing()
    {
        var storage = CreateStorage();
        var id = NewId();
        var winner = new Box { State = new ConformanceState { Name = "winner" } };
        await storage.WriteStateAsync("s", id, winner, default).WaitAsync(Timeout);
        var loser = new Box();
        await storage.ReadStateAsync("s", id, loser, default).WaitAsync(Timeout);
        winner.State.Name = "winner-2";
        await storage.WriteStateAsync("s", id, winner, default).WaitAsync(Timeout);

        loser.State.Name = "loser";
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("s", id, loser, default).WaitAsync(Timeout));
        var read = new Box();
        await storage.ReadStateAsync("s", id, read, default).WaitAsync(Timeout);
        Assert.Equal("winner-2", read.State.Name);
    }

    [Fact]
    public async Task Inserting_without_an_etag_when_a_record_exists_conflicts()
    {
        var storage = CreateStorage();
        var id = NewId();
        await storage.WriteStateAsync("s", id, new Box(), default).WaitAsync(Timeout);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("s", id, new Box(), default).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Two_concurrent_first_writers_cannot_both_succeed()
    {
        var storage = CreateStorage();
        var id = NewId();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await storage.WriteStateAsync("s", id, new Box { State = new ConformanceState { Name = $"w{i}" } }, default);
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        })).WaitAsync(Timeout);
        Assert.Equal(1, results.Count(r => r));
    }

    [Fact]
    public async Task Clearing_resets_the_state_and_later_writes_continue_from_the_cleared_etag()
    {
        var storage = CreateStorage();
        var id = NewId();
        var state = new Box { State = new ConformanceState { Name = "x" } };
        await storage.WriteStateAsync("s", id, state, default).WaitAsync(Timeout);
        var stale = state.ETag;
        await storage.ClearStateAsync("s", id, state, default).WaitAsync(Timeout);
        Assert.False(state.RecordExists);
        Assert.Equal("", state.State.Name);

        var read = new Box();
        await storage.ReadStateAsync("s", id, read, default).WaitAsync(Timeout);
        Assert.False(read.RecordExists);
        Assert.Equal(state.ETag, read.ETag);

        // A writer still holding the pre-clear etag must conflict.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("s", id, new Box { ETag = stale }, default).WaitAsync(Timeout));
        state.State.Name = "again";
        await storage.WriteStateAsync("s", id, state, default).WaitAsync(Timeout);
        await storage.ReadStateAsync("s", id, read, default).WaitAsync(Timeout);
        Assert.Equal("again", read.State.Name);
    }

    [Fact]
    public async Task Clearing_with_a_stale_etag_conflicts()
    {
        var storage = CreateStorage();
        var id = NewId();
        var state = new Box();
        await storage.WriteStateAsync("s", id, state, default).WaitAsync(Timeout);
        var stale = new Box { ETag = state.ETag };
        await storage.WriteStateAsync("s", id, state, default).WaitAsync(Timeout);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("s", id, stale, default).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Grain_type_and_state_name_are_part_of_the_key()
    {
        var storage = CreateStorage();
        var key = Guid.NewGuid().ToString("N");
        await storage.WriteStateAsync("s", new GrainId("TypeA", key), new Box { State = new ConformanceState { Name = "A" } }, default).WaitAsync(Timeout);
        await storage.WriteStateAsync("s", new GrainId("TypeB", key), new Box { State = new ConformanceState { Name = "B" } }, default).WaitAsync(Timeout);
        await storage.WriteStateAsync("other", new GrainId("TypeA", key), new Box { State = new ConformanceState { Name = "A-other" } }, default).WaitAsync(Timeout);

        var read = new Box();
        await storage.ReadStateAsync("s", new GrainId("TypeA", key), read, default).WaitAsync(Timeout);
        Assert.Equal("A", read.State.Name);
        await storage.ReadStateAsync("s", new GrainId("TypeB", key), read, default).WaitAsync(Timeout);
        Assert.Equal("B", read.State.Name);
        await storage.ReadStateAsync("other", new GrainId("TypeA", key), read, default).WaitAsync(Timeout);
        Assert.Equal("A-other", read.State.Name);
    }

    [Fact]
    public async Task Hostile_keys_and_contents_are_just_data()
    {
        var storage = CreateStorage();
        var id = new GrainId("T", "'; DROP TABLE grain_state; --");
        var state = new Box { State = new ConformanceState { Name = "\"}' \\u0000 <script>" } };
        await storage.WriteStateAsync("s'--", id, state, default).WaitAsync(Timeout);
        var read = new Box();
        await storage.ReadStateAsync("s'--", id, read, default).WaitAsync(Timeout);
        Assert.Equal(state.State.Name, read.State.Name);
    }
}

public sealed class MemoryGrainStorageTests : GrainStorageConformance
{
    private readonly MemoryGrainStorage _storage = new(Json);

    protected override IGrainStorage CreateStorage(string serviceId = "svc") => _storage;
}

/// <summary>A fresh database with the runtime's migrations applied.</summary>
public sealed class RuntimeDatabaseFixture : PostgresDatabaseFixture
{
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        await SqlMigrator.ApplyAsync(DataSource, "runtime", SqlMigrator.FromEmbeddedResources(typeof(SqlMigrator).Assembly), default)
            .WaitAsync(TimeSpan.FromSeconds(60));
    }

    public override async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await base.DisposeAsync();
    }
}

public sealed class PostgresGrainStorageTests(RuntimeDatabaseFixture database) : GrainStorageConformance, IClassFixture<RuntimeDatabaseFixture>
{
    protected override IGrainStorage CreateStorage(string serviceId = "svc") => new PostgresGrainStorage(database.DataSource, serviceId, Json);

    [Fact]
    public async Task The_service_id_is_part_of_the_key()
    {
        var id = new GrainId("T", Guid.NewGuid().ToString("N"));
        var a = new PostgresStateBox { State = new ConformanceState { Name = "svc-a" } };
        await CreateStorage("a").WriteStateAsync("s", id, a, default).WaitAsync(TimeSpan.FromSeconds(30));
        var b = new PostgresStateBox();
        await CreateStorage("b").ReadStateAsync("s", id, b, default).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(b.RecordExists);
    }

    [Fact]
    public async Task Migrations_are_idempotent_and_safe_to_run_concurrently()
    {
        var migrations = SqlMigrator.FromEmbeddedResources(typeof(SqlMigrator).Assembly);
        var applied = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => SqlMigrator.ApplyAsync(database.DataSource, "runtime", migrations, default)))
            .WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(applied, count => Assert.Equal(0, count));
    }

    private sealed class PostgresStateBox : IGrainState<ConformanceState>
    {
        public ConformanceState State { get; set; } = new();

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }
}
