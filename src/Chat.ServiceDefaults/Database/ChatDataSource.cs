using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.ServiceDefaults.Database;

/// <summary>
/// The process's one PostgreSQL pool, shared by the chat grains, the Orleans ADO.NET providers
/// (where they take a data source), migrations and health checks.
/// </summary>
public sealed class ChatDataSource : IAsyncDisposable
{
    /// <summary>Creates the pool from <c>Chat:Database:ConnectionString</c> with <see cref="WithPoolDefaults"/>.</summary>
    public ChatDataSource(IOptions<ChatDatabaseOptions> options) => DataSource = NpgsqlDataSource.Create(WithPoolDefaults(options.Value.ConnectionString));

    /// <summary>
    /// The connection string with this system's pool defaults where it does not choose itself:
    /// <c>No Reset On Close</c> (no <c>DISCARD ALL</c> each time a connection goes back to the pool —
    /// nothing here leaves session state behind) and <c>Max Auto Prepare=64</c> (the hot statements
    /// are parsed and planned once per connection, not per message). Both were a third of
    /// PostgreSQL's CPU under load (docs/benchmarks.md).
    /// </summary>
    public static string WithPoolDefaults(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        var named = given.Keys.Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!named.Contains("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!named.Contains("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
        }

        return builder.ConnectionString;
    }

    /// <summary>The pool.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
