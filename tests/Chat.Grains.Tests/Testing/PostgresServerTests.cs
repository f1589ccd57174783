using System.Diagnostics;
using Chat.Testing;
using Npgsql;
using Xunit;

namespace Chat.Grains.Tests.Testing;

/// <summary>The throwaway PostgreSQL fixture every database test relies on.</summary>
public sealed class PostgresServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_database_can_be_created_used_and_dropped()
    {
        var server = await PostgresServer.Shared.WaitAsync(Timeout);
        var connectionString = await server.CreateDatabaseAsync("Fixture Test!").WaitAsync(Timeout);
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        Assert.StartsWith("fixture_test_", name, StringComparison.Ordinal);

        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync().WaitAsync(Timeout);
            await using var create = new NpgsqlCommand("CREATE TABLE notes (id int PRIMARY KEY, text text NOT NULL)", connection);
            await create.ExecuteNonQueryAsync().WaitAsync(Timeout);
            await using var insert = new NpgsqlCommand("INSERT INTO notes VALUES (1, 'hello')", connection);
            await insert.ExecuteNonQueryAsync().WaitAsync(Timeout);
            await using var select = new NpgsqlCommand("SELECT text FROM notes WHERE id = 1", connection);
            Assert.Equal("hello", await select.ExecuteScalarAsync().WaitAsync(Timeout));
        }

        await server.DropDatabaseAsync(name).WaitAsync(Timeout);

        Assert.False(await DatabaseExistsAsync(server, name).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_database_still_in_use_can_be_dropped()
    {
        var server = await PostgresServer.Shared.WaitAsync(Timeout);
        var connectionString = await server.CreateDatabaseAsync("in_use").WaitAsync(Timeout);
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync().WaitAsync(Timeout);

        await server.DropDatabaseAsync(name).WaitAsync(Timeout);

        Assert.False(await DatabaseExistsAsync(server, name).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Disposing_a_server_stops_postgres_and_removes_its_directory()
    {
        var server = await PostgresServer.StartLocalAsync(Environment.ProcessId, CancellationToken.None).WaitAsync(Timeout);
        var postmaster = server.ProcessId;
        var root = server.RootDirectory!;
        Assert.NotNull(postmaster);
        Assert.True(ProcessIsAlive(postmaster.Value));
        Assert.True(Directory.Exists(root));

        await server.DisposeAsync().AsTask().WaitAsync(Timeout);

        Assert.False(ProcessIsAlive(postmaster.Value));
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task Postgres_is_stopped_when_the_test_process_dies()
    {
        using var testProcess = Process.Start(new ProcessStartInfo("bash", ["-c", "sleep 1000"]) { RedirectStandardInput = true })!;
        var server = await PostgresServer.StartLocalAsync(testProcess.Id, CancellationToken.None).WaitAsync(Timeout);
        try
        {
            var postmaster = server.ProcessId!.Value;
            var root = server.RootDirectory!;
            Assert.True(ProcessIsAlive(postmaster));

            testProcess.Kill(); // SIGKILL: no chance to clean up.
            await testProcess.WaitForExitAsync().WaitAsync(Timeout);

            await WaitUntilAsync(() => !ProcessIsAlive(postmaster) && !Directory.Exists(root)).WaitAsync(Timeout);
            Assert.False(ProcessIsAlive(server.WatchdogProcessId!.Value));
        }
        finally
        {
            await server.DisposeAsync().AsTask().WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task The_fixture_gives_each_class_its_own_database()
    {
        var first = new PostgresDatabaseFixture();
        var second = new PostgresDatabaseFixture();
        await first.InitializeAsync().WaitAsync(Timeout);
        await second.InitializeAsync().WaitAsync(Timeout);
        try
        {
            Assert.NotEqual(first.DatabaseName, second.DatabaseName);
            await using var connection = new NpgsqlConnection(first.ConnectionString);
            await connection.OpenAsync().WaitAsync(Timeout);
            await using var command = new NpgsqlCommand("SELECT current_database()", connection);
            Assert.Equal(first.DatabaseName, await command.ExecuteScalarAsync().WaitAsync(Timeout));
        }
        finally
        {
            await first.DisposeAsync().WaitAsync(Timeout);
            await second.DisposeAsync().WaitAsync(Timeout);
        }

        Assert.False(await DatabaseExistsAsync(first.Server, first.DatabaseName).WaitAsync(Timeout));
    }

    private static async Task<bool> DatabaseExistsAsync(PostgresServer server, string name)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = name } },
        };
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    private static bool ProcessIsAlive(int processId)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{processId}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z";
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(100);
        }
    }
}
