using Xunit;

namespace Chat.Testing;

/// <summary>
/// xUnit fixture: a fresh database on the shared <see cref="PostgresServer"/> for one test class
/// or collection, dropped when the class or collection is done.
/// </summary>
public class PostgresDatabaseFixture : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private PostgresServer? _server;
    private string? _connectionString;

    /// <summary>The server holding the database.</summary>
    public PostgresServer Server => _server ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>Name of the database.</summary>
    public string DatabaseName { get; private set; } = "";

    /// <summary>Connection string of the fresh database.</summary>
    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>Prefix of the database name; defaults to the fixture's type name.</summary>
    protected virtual string DatabasePrefix => GetType().Name;

    public virtual async Task InitializeAsync()
    {
        _server = await PostgresServer.Shared.WaitAsync(Deadline).ConfigureAwait(false);
        _connectionString = await _server.CreateDatabaseAsync(DatabasePrefix).WaitAsync(Deadline).ConfigureAwait(false);
        DatabaseName = new Npgsql.NpgsqlConnectionStringBuilder(_connectionString).Database!;
    }

    public virtual async Task DisposeAsync()
    {
        if (_server is not null && DatabaseName.Length > 0)
        {
            await _server.DropDatabaseAsync(DatabaseName).WaitAsync(Deadline).ConfigureAwait(false);
        }
    }
}
