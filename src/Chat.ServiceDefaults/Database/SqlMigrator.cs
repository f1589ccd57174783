using System.Reflection;
using System.Text.RegularExpressions;
using Npgsql;

namespace Chat.ServiceDefaults.Database;

/// <summary>One versioned SQL script.</summary>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Applies versioned SQL scripts under a PostgreSQL advisory lock, so silos starting at the same
/// time never race; each script runs in its own transaction and is recorded in
/// <c>schema_migrations</c> per component (the Orleans schema and the chat domain keep separate series).
/// </summary>
public static partial class SqlMigrator
{
    /// <summary>Reads the embedded resources named <c>…NNNN_name.sql</c> of an assembly, in version order.</summary>
    public static IReadOnlyList<Migration> FromEmbeddedResources(Assembly assembly)
    {
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = MigrationName().Match(resource);
            if (!match.Success)
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups[2].Value, reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version == migrations[i - 1].Version)
            {
                throw new InvalidOperationException($"Two migrations of {assembly.GetName().Name} have version {migrations[i].Version}.");
            }
        }

        return migrations;
    }

    /// <summary>Applies the scripts of <paramref name="component"/> that are not applied yet. Returns how many ran.</summary>
    public static async Task<int> ApplyAsync(NpgsqlDataSource dataSource, string component, IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Session-level lock: held across the per-script transactions, released on close.
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(7243190118321)", connection))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await using (var create = new NpgsqlCommand(
                "CREATE TABLE IF NOT EXISTS schema_migrations (component text NOT NULL, version integer NOT NULL, name text NOT NULL, " +
                "applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))",
                connection))
            {
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var applied = new HashSet<int>();
            await using (var read = new NpgsqlCommand("SELECT version FROM schema_migrations WHERE component = $1", connection))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = component });
                await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            var count = 0;
            foreach (var migration in migrations.Where(m => !applied.Contains(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (var script = new NpgsqlCommand(migration.Sql, connection, transaction))
                {
                    await script.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)", connection, transaction))
                {
                    record.Parameters.Add(new NpgsqlParameter { Value = component });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                count++;
            }

            return count;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(7243190118321)", connection);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    [GeneratedRegex(@"(\d{4})_([A-Za-z0-9_]+)\.sql$")]
    private static partial Regex MigrationName();
}
