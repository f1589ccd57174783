using System.Net;
using System.Net.Sockets;
using Chat.ServiceDefaults.Database;
using Chat.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService;
using Orleans.Storage;

namespace Chat.Grains.Tests.Hosting;

/// <summary>
/// The Orleans schema migration (Chat.Silo's <c>Migrations/0001_orleans_schema.sql</c>) against the real
/// Orleans 10.4.2 ADO.NET providers and Npgsql, on a fresh database: membership, grain storage, and the
/// conditional writes that must answer "not applied" instead of corrupting a table.
/// </summary>
public sealed class OrleansSchemaTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private const string Component = "orleans";
    private const string Invariant = "Npgsql";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private static readonly string[] ExpectedKeys =
    [
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey", "ClearStorageKey", "DeleteMembershipTableEntriesKey",
        "DeleteReminderRowKey", "DeleteReminderRowsKey", "DeleteStorageKey", "GatewaysQueryKey", "InsertMembershipKey",
        "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey", "ReadFromStorageKey", "ReadRangeRows1Key",
        "ReadRangeRows2Key", "ReadReminderRowKey", "ReadReminderRowsKey", "UpdateIAmAlivetimeKey", "UpdateMembershipKey",
        "UpsertReminderRowKey", "WriteToStorageKey",
    ];

    [Fact]
    public async Task The_migration_installs_every_statement_the_providers_read_and_can_run_again()
    {
        var migrations = SqlMigrator.FromEmbeddedResources(typeof(Chat.Silo.Hosting.SiloHostingExtensions).Assembly);
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await SqlMigrator.ApplyAsync(dataSource, Component, migrations, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(0, await SqlMigrator.ApplyAsync(dataSource, Component, migrations, CancellationToken.None).WaitAsync(Timeout));
        // Running a script again by hand (as an operator might) updates the statements in place.
        foreach (var migration in migrations)
        {
            await using var connection = await dataSource.OpenConnectionAsync().AsTask().WaitAsync(Timeout);
            await using var transaction = await connection.BeginTransactionAsync().AsTask().WaitAsync(Timeout);
            await using (var again = new NpgsqlCommand(migration.Sql, connection, transaction))
            {
                await again.ExecuteNonQueryAsync().WaitAsync(Timeout);
            }

            await transaction.CommitAsync().WaitAsync(Timeout);
        }

        var keys = new List<string>();
        await using (var read = dataSource.CreateCommand("SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey"))
        await using (var reader = await read.ExecuteReaderAsync().WaitAsync(Timeout))
        {
            while (await reader.ReadAsync().WaitAsync(Timeout))
            {
                keys.Add(reader.GetString(0));
            }
        }

        Assert.Equal(ExpectedKeys.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Two_silos_starting_at_once_both_become_active_and_a_client_reaches_them_through_both_gateways()
    {
        var connectionString = await SchemaAsync();
        const string cluster = "schema-two-silos";
        var siloA = BuildSilo(connectionString, cluster, "silo-a");
        var siloB = BuildSilo(connectionString, cluster, "silo-b");
        IHost? client = null;
        try
        {
            await Task.WhenAll(siloA.StartAsync(), siloB.StartAsync()).WaitAsync(Deadline);
            await WaitUntilAsync(async () => await CountAsync(connectionString, "SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @p0 AND Status = 3", cluster) == 2,
                "both silos Active in the membership table");

            client = BuildClient(connectionString, cluster);
            await client.StartAsync().WaitAsync(Deadline);
            var gateways = await client.Services.GetRequiredService<IGatewayListProvider>().GetGateways().WaitAsync(Timeout);
            var hosts = await client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(Timeout);

            Assert.Equal(2, gateways.Count);
            Assert.Equal(2, hosts.Count);
            Assert.All(hosts.Values, status => Assert.Equal(SiloStatus.Active, status));
        }
        finally
        {
            if (client is not null)
            {
                await StopAsync(client);
            }

            await Task.WhenAll(StopAsync(siloA), StopAsync(siloB)).WaitAsync(Deadline);
        }
    }

    [Fact]
    public async Task Grain_state_round_trips_and_a_write_with_a_stale_etag_throws_InconsistentStateException()
    {
        var connectionString = await SchemaAsync();
        var silo = BuildSilo(connectionString, "schema-storage", "silo-storage");
        try
        {
            await silo.StartAsync().WaitAsync(Deadline);
            var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageName);
            var grain = GrainId.Create("schema-test", "round-trip");

            var first = new GrainState<Dictionary<string, int>>();
            await storage.ReadStateAsync("counter", grain, first).WaitAsync(Timeout);
            Assert.Null(first.ETag);
            Assert.False(first.RecordExists);

            first.State!["value"] = 1;
            await storage.WriteStateAsync("counter", grain, first).WaitAsync(Timeout);
            var second = new GrainState<Dictionary<string, int>>();
            await storage.ReadStateAsync("counter", grain, second).WaitAsync(Timeout);
            Assert.Equal("1", first.ETag);
            Assert.Equal("1", second.ETag);
            Assert.True(second.RecordExists);
            Assert.Equal(1, second.State!["value"]);

            first.State["value"] = 2;
            await storage.WriteStateAsync("counter", grain, first).WaitAsync(Timeout);
            second.State["value"] = 3;
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("counter", grain, second).WaitAsync(Timeout));
            // A second "first write" (no ETag) over an existing row is as stale.
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("counter", grain, new GrainState<Dictionary<string, int>>()).WaitAsync(Timeout));
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("counter", grain, second).WaitAsync(Timeout));

            await storage.ClearStateAsync("counter", grain, first).WaitAsync(Timeout);
            var cleared = new GrainState<Dictionary<string, int>>();
            await storage.ReadStateAsync("counter", grain, cleared).WaitAsync(Timeout);
            Assert.Equal("3", first.ETag);
            Assert.Equal("3", cleared.ETag);
            Assert.False(cleared.RecordExists);
            Assert.Empty(cleared.State!);

            cleared.State!["value"] = 4;
            await storage.WriteStateAsync("counter", grain, cleared).WaitAsync(Timeout);
            Assert.Equal("4", cleared.ETag);
        }
        finally
        {
            await StopAsync(silo);
        }
    }

    [Fact]
    public async Task Grain_types_with_the_same_key_are_kept_apart_only_by_distinct_state_names()
    {
        // Orleans 10.4.2 passes the state name where the SQL expects the grain type, and only the key of the
        // grain id: the grain type reaches no parameter, so the schema cannot tell two grain types apart.
        var connectionString = await SchemaAsync();
        var silo = BuildSilo(connectionString, "schema-types", "silo-types");
        try
        {
            await silo.StartAsync().WaitAsync(Deadline);
            var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageName);
            var typeA = GrainId.Create("schema-type-a", "same-key");
            var typeB = GrainId.Create("schema-type-b", "same-key");

            var written = new GrainState<Dictionary<string, int>> { State = new() { ["owner-a"] = 1 } };
            await storage.WriteStateAsync("shared-name", typeA, written).WaitAsync(Timeout);
            var seenByB = new GrainState<Dictionary<string, int>>();
            await storage.ReadStateAsync("shared-name", typeB, seenByB).WaitAsync(Timeout);
            Assert.True(seenByB.State!.ContainsKey("owner-a"));

            var a = new GrainState<Dictionary<string, int>> { State = new() { ["owner-a"] = 1 } };
            var b = new GrainState<Dictionary<string, int>> { State = new() { ["owner-b"] = 1 } };
            await storage.WriteStateAsync("type-a-state", typeA, a).WaitAsync(Timeout);
            await storage.WriteStateAsync("type-b-state", typeB, b).WaitAsync(Timeout);
            Assert.Equal("1", a.ETag);
            Assert.Equal("1", b.ETag);
            Assert.Equal(2, await CountAsync(connectionString, "SELECT count(*) FROM OrleansStorage WHERE GrainTypeString IN ('type-a-state', 'type-b-state') AND GrainIdExtensionString = @p0", "same-key"));
        }
        finally
        {
            await StopAsync(silo);
        }
    }

    [Fact]
    public async Task A_membership_write_with_a_stale_table_version_is_not_applied_and_changes_nothing()
    {
        var connectionString = await SchemaAsync();
        var table = await MembershipTableAsync(connectionString, "schema-conflicts");
        var now = DateTime.UtcNow;
        var joining = Entry(1, SiloStatus.Joining, now);
        Assert.True(await table.InsertRowAsync(joining, (await table.ReadAllAsync().WaitAsync(Timeout)).Version.Next()).WaitAsync(Timeout));
        var active = Entry(2, SiloStatus.Active, now);
        Assert.True(await table.InsertRowAsync(active, (await table.ReadAllAsync().WaitAsync(Timeout)).Version.Next()).WaitAsync(Timeout));
        var before = await table.ReadAllAsync().WaitAsync(Timeout);
        Assert.Equal(2, before.Version.Version);

        var stale = new TableVersion(1, "1");
        var insertStale = await table.InsertRowAsync(Entry(3, SiloStatus.Joining, now), stale.Next()).WaitAsync(Timeout);
        var insertDuplicate = await table.InsertRowAsync(joining, before.Version.Next()).WaitAsync(Timeout);
        var suspected = Entry(2, SiloStatus.Dead, now);
        suspected.AddOrUpdateSuspector(joining.SiloAddress, now, 10);
        // The row etag must equal the table etag, or the provider answers false without asking the database.
        var updateStale = await table.UpdateRowAsync(suspected, stale.VersionEtag, stale.Next()).WaitAsync(Timeout);
        var updateMissing = await table.UpdateRowAsync(Entry(9, SiloStatus.Dead, now), before.Version.VersionEtag, before.Version.Next()).WaitAsync(Timeout);

        var after = await table.ReadAllAsync().WaitAsync(Timeout);
        Assert.False(insertStale);
        Assert.False(insertDuplicate);
        Assert.False(updateStale);
        Assert.False(updateMissing);
        Assert.Equal(2, after.Version.Version);
        Assert.Equal(2, after.Members.Count);
        var row = after.Members.Single(m => m.Item1.SiloAddress.Equals(active.SiloAddress)).Item1;
        Assert.Equal(SiloStatus.Active, row.Status);
        Assert.Null(row.SuspectTimes);
        // Times are timestamptz: what was sent comes back as the same UTC instant (to the microsecond),
        // whatever the session's time zone (this one is UTC+12:45 or +13:45).
        Assert.Equal(DateTimeKind.Utc, row.StartTime.Kind);
        Assert.Equal(now.Ticks / 10, row.StartTime.Ticks / 10);

        Assert.True(await table.UpdateRowAsync(suspected, before.Version.VersionEtag, before.Version.Next()).WaitAsync(Timeout));
        var updated = await table.ReadAllAsync().WaitAsync(Timeout);
        Assert.Equal(3, updated.Version.Version);
        var updatedRow = updated.Members.Single(m => m.Item1.SiloAddress.Equals(active.SiloAddress)).Item1;
        Assert.Equal(SiloStatus.Dead, updatedRow.Status);
        Assert.Single(updatedRow.SuspectTimes!);
    }

    [Fact]
    public async Task The_insert_statement_called_with_a_wrong_version_rolls_back_even_with_plpgsql_asserts_off()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await SchemaAsync()) { Options = "-c plpgsql.check_asserts=off" }.ConnectionString;
        const string cluster = "schema-raw-insert";
        await MembershipTableAsync(connectionString, cluster);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        string statement;
        await using (var read = dataSource.CreateCommand("SELECT QueryText FROM OrleansQuery WHERE QueryKey = 'InsertMembershipKey'"))
        {
            statement = (string)(await read.ExecuteScalarAsync().WaitAsync(Timeout))!;
        }

        async Task<bool> InsertAsync(int expectedVersion, int generation)
        {
            await using var insert = dataSource.CreateCommand(statement);
            insert.Parameters.AddWithValue("DeploymentId", cluster);
            insert.Parameters.AddWithValue("Address", "10.0.0.9");
            insert.Parameters.AddWithValue("Port", 11111);
            insert.Parameters.AddWithValue("Generation", generation);
            insert.Parameters.AddWithValue("SiloName", "raw");
            insert.Parameters.AddWithValue("HostName", "raw");
            insert.Parameters.AddWithValue("Status", (int)SiloStatus.Joining);
            insert.Parameters.AddWithValue("ProxyPort", 30000);
            insert.Parameters.AddWithValue("StartTime", DateTime.UtcNow);
            insert.Parameters.AddWithValue("IAmAliveTime", DateTime.UtcNow);
            insert.Parameters.AddWithValue("Version", expectedVersion);
            return (bool)(await insert.ExecuteScalarAsync().WaitAsync(Timeout))!;
        }

        var wrongVersion = await InsertAsync(expectedVersion: 5, generation: 1);
        var rightVersion = await InsertAsync(expectedVersion: 0, generation: 1);
        var duplicate = await InsertAsync(expectedVersion: 1, generation: 1);

        Assert.False(wrongVersion);
        Assert.True(rightVersion);
        Assert.False(duplicate);
        // The duplicate had the right version: its version bump was rolled back with the failed insert.
        Assert.Equal(1, await CountAsync(connectionString, "SELECT Version FROM OrleansMembershipVersionTable WHERE DeploymentId = @p0", cluster));
        Assert.Equal(1, await CountAsync(connectionString, "SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @p0", cluster));
    }

    [Fact]
    public async Task Defunct_silo_cleanup_deletes_only_dead_rows_older_than_the_cutoff()
    {
        var connectionString = await SchemaAsync();
        const string cluster = "schema-cleanup";
        var table = await MembershipTableAsync(connectionString, cluster);
        var old = DateTime.UtcNow.AddHours(-2);
        var statuses = new[] { SiloStatus.Joining, SiloStatus.Active, SiloStatus.ShuttingDown, SiloStatus.Stopping, SiloStatus.Dead };
        var generation = 0;
        foreach (var status in statuses)
        {
            Assert.True(await table.InsertRowAsync(Entry(++generation, status, old), (await table.ReadAllAsync().WaitAsync(Timeout)).Version.Next()).WaitAsync(Timeout));
        }

        Assert.True(await table.InsertRowAsync(Entry(++generation, SiloStatus.Dead, DateTime.UtcNow), (await table.ReadAllAsync().WaitAsync(Timeout)).Version.Next()).WaitAsync(Timeout));

        // The provider (per-row CleanupDefunctSiloEntryKey, exact-match on what it read).
        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddMinutes(-30)).WaitAsync(Timeout);
        var left = (await table.ReadAllAsync().WaitAsync(Timeout)).Members.Select(m => m.Item1).ToList();
        Assert.Equal(5, left.Count);
        Assert.Equal(statuses.Where(s => s != SiloStatus.Dead).Order(), left.Where(e => e.StartTime < DateTime.UtcNow.AddHours(-1)).Select(e => e.Status).Order());
        Assert.Single(left, e => e.Status == SiloStatus.Dead);

        // The bulk statement (what providers without the per-row statement run) keeps to the same rule.
        Assert.True(await table.InsertRowAsync(Entry(++generation, SiloStatus.Dead, old), (await table.ReadAllAsync().WaitAsync(Timeout)).Version.Next()).WaitAsync(Timeout));
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        string bulk;
        await using (var read = dataSource.CreateCommand("SELECT QueryText FROM OrleansQuery WHERE QueryKey = 'CleanupDefunctSiloEntriesKey'"))
        {
            bulk = (string)(await read.ExecuteScalarAsync().WaitAsync(Timeout))!;
        }

        await using (var cleanup = dataSource.CreateCommand(bulk))
        {
            cleanup.Parameters.AddWithValue("DeploymentId", cluster);
            cleanup.Parameters.AddWithValue("IAmAliveTime", DateTime.UtcNow.AddMinutes(-30));
            Assert.Equal(1, await cleanup.ExecuteNonQueryAsync().WaitAsync(Timeout));
        }

        Assert.Equal(1, await CountAsync(connectionString, "SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @p0 AND Status = 6", cluster));
        Assert.Equal(5, await CountAsync(connectionString, "SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @p0", cluster));
    }

    private const string StorageName = "schema-check";

    /// <summary>Applies the Orleans migration; returns a connection string whose session time zone is far from UTC.</summary>
    private async Task<string> SchemaAsync()
    {
        var migrations = SqlMigrator.FromEmbeddedResources(typeof(Chat.Silo.Hosting.SiloHostingExtensions).Assembly);
        await using (var dataSource = NpgsqlDataSource.Create(database.ConnectionString))
        {
            await SqlMigrator.ApplyAsync(dataSource, Component, migrations, CancellationToken.None).WaitAsync(Timeout);
        }

        // A DateTime bound as 'timestamp' instead of 'timestamptz' would be shifted by this zone's offset.
        return new NpgsqlConnectionStringBuilder(database.ConnectionString) { Timezone = "Pacific/Chatham" }.ConnectionString;
    }

    private static IHost BuildSilo(string connectionString, string clusterId, string name)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = clusterId;
            });
            silo.Configure<SiloOptions>(o => o.SiloName = name);
            silo.ConfigureEndpoints(IPAddress.Loopback, FreePort(), FreePort());
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = connectionString;
            });
            silo.AddAdoNetGrainStorage(StorageName, o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = connectionString;
            });
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
            });
        });
        return builder.Build();
    }

    private static IHost BuildClient(string connectionString, string clusterId)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = clusterId;
            });
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = connectionString;
            });
        });
        return builder.Build();
    }

    /// <summary>The provider's membership table on its own deployment id, initialized (version row 0).</summary>
    private static async Task<AdoNetClusteringTable> MembershipTableAsync(string connectionString, string clusterId)
    {
        var table = new AdoNetClusteringTable(
            new ServiceCollection().BuildServiceProvider(),
            Microsoft.Extensions.Options.Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = clusterId }),
            Microsoft.Extensions.Options.Options.Create(new AdoNetClusteringSiloOptions { Invariant = Invariant, ConnectionString = connectionString }),
            NullLogger<AdoNetClusteringTable>.Instance);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true).WaitAsync(Timeout);
        return table;
    }

    private static MembershipEntry Entry(int generation, SiloStatus status, DateTime time) => new()
    {
        SiloAddress = SiloAddress.New(IPAddress.Parse("10.0.0.1"), 11111, generation),
        SiloName = $"silo-{generation}",
        HostName = "host",
        Status = status,
        ProxyPort = 30000,
        StartTime = time,
        IAmAliveTime = time,
    };

    private static async Task<long> CountAsync(string connectionString, string sql, string parameter)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync().WaitAsync(Timeout);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("p0", parameter);
        return Convert.ToInt64(await command.ExecuteScalarAsync().WaitAsync(Timeout), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition().WaitAsync(Timeout))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(100);
        }
    }

    private static async Task StopAsync(IHost host)
    {
        try
        {
            await host.StopAsync().WaitAsync(Timeout);
        }
        finally
        {
            host.Dispose();
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
