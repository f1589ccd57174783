using Chat.Runtime.Messaging;
using Npgsql;

namespace Chat.Runtime.Membership;

/// <summary>
/// The membership table in PostgreSQL. Status changes are conditional on the table version and
/// bump it; heartbeats do not. Times and heartbeat ages come from the database clock, so silos
/// with skewed clocks still agree on who is stale. Every change notifies
/// <c>chat_membership</c> so listeners refresh at once.
/// </summary>
public sealed class MembershipTable(NpgsqlDataSource dataSource, string clusterId)
{
    /// <summary>The LISTEN/NOTIFY channel.</summary>
    public const string NotifyChannel = "chat_membership";

    /// <summary>The cluster this table serves.</summary>
    public string ClusterId => clusterId;

    /// <summary>Reads every row and the table version.</summary>
    public async Task<ClusterView> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT v.version, m.address, m.port, m.generation, m.silo_name, m.status, m.gateway_port, m.http_url, m.start_time, m.heartbeat_at, " +
            "EXTRACT(EPOCH FROM (clock_timestamp() - m.heartbeat_at))::float8 " +
            "FROM (SELECT $1::text AS cluster_id) c " +
            "LEFT JOIN cluster_versions v ON v.cluster_id = c.cluster_id " +
            "LEFT JOIN cluster_members m ON m.cluster_id = c.cluster_id",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = clusterId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        long version = 0;
        var members = new List<SiloEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            version = reader.IsDBNull(0) ? 0 : reader.GetInt64(0);
            if (reader.IsDBNull(1))
            {
                continue;
            }

            members.Add(new SiloEntry(
                new SiloAddress(reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3)),
                reader.GetString(4),
                (SiloStatus)reader.GetInt16(5),
                reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetFieldValue<DateTimeOffset>(8),
                reader.GetFieldValue<DateTimeOffset>(9),
                TimeSpan.FromSeconds(Math.Max(0, reader.GetDouble(10)))));
        }

        return new ClusterView(version, members);
    }

    /// <summary>Inserts a new silo row.</summary>
    public Task<MembershipWrite> InsertAsync(SiloEntry entry, long expectedVersion, CancellationToken cancellationToken) =>
        ChangeAsync(expectedVersion, "INSERT INTO cluster_members (cluster_id, address, port, generation, silo_name, status, gateway_port, http_url) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", cmd =>
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = clusterId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = entry.Address.Host });
            cmd.Parameters.Add(new NpgsqlParameter { Value = entry.Address.Port });
            cmd.Parameters.Add(new NpgsqlParameter { Value = entry.Address.Generation });
            cmd.Parameters.Add(new NpgsqlParameter { Value = entry.Name });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (short)entry.Status });
            cmd.Parameters.Add(new NpgsqlParameter { Value = entry.GatewayPort });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.HttpUrl ?? DBNull.Value });
        }, cancellationToken);

    /// <summary>
    /// Changes a silo's status (never out of Dead). With <paramref name="onlyIfStaleFor"/>, only if
    /// its heartbeat is at least that old at the moment of the write: a silo that heartbeated after
    /// we read the table is not declared dead on stale information.
    /// </summary>
    public Task<MembershipWrite> UpdateStatusAsync(SiloAddress silo, SiloStatus status, long expectedVersion, TimeSpan? onlyIfStaleFor, string? declaredBy, CancellationToken cancellationToken) =>
        ChangeAsync(expectedVersion, "UPDATE cluster_members SET status = $5, status_changed_at = now(), declared_dead_by = COALESCE($6, declared_dead_by) " +
            "WHERE cluster_id = $1 AND address = $2 AND port = $3 AND generation = $4 AND status <> 4 " +
            "AND ($7::float8 IS NULL OR clock_timestamp() - heartbeat_at > make_interval(secs => $7::float8))", cmd =>
        {
            AddKey(cmd, silo);
            cmd.Parameters.Add(new NpgsqlParameter { Value = (short)status });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)declaredBy ?? DBNull.Value });
            cmd.Parameters.Add(new NpgsqlParameter { Value = onlyIfStaleFor is { } s ? s.TotalSeconds : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
        }, cancellationToken);

    /// <summary>Records a heartbeat. Returns the silo's status (Dead means: stop now).</summary>
    public async Task<SiloStatus?> HeartbeatAsync(SiloAddress silo, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "UPDATE cluster_members SET heartbeat_at = clock_timestamp() WHERE cluster_id = $1 AND address = $2 AND port = $3 AND generation = $4 RETURNING status",
            connection);
        AddKey(command, silo);
        var status = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return status is short s ? (SiloStatus)s : null;
    }

    /// <summary>Deletes dead rows older than <paramref name="retention"/>.</summary>
    public async Task<int> CleanupDeadAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "DELETE FROM cluster_members WHERE cluster_id = $1 AND status = 4 AND status_changed_at < now() - make_interval(secs => $2::float8)",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = clusterId });
        command.Parameters.Add(new NpgsqlParameter { Value = retention.TotalSeconds });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<MembershipWrite> ChangeAsync(long expectedVersion, string sql, Action<NpgsqlCommand> bind, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var ensure = new NpgsqlCommand("INSERT INTO cluster_versions (cluster_id, version) VALUES ($1, 0) ON CONFLICT DO NOTHING", connection, transaction))
        {
            ensure.Parameters.Add(new NpgsqlParameter { Value = clusterId });
            await ensure.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var bump = new NpgsqlCommand("UPDATE cluster_versions SET version = version + 1 WHERE cluster_id = $1 AND version = $2", connection, transaction))
        {
            bump.Parameters.Add(new NpgsqlParameter { Value = clusterId });
            bump.Parameters.Add(new NpgsqlParameter { Value = expectedVersion });
            if (await bump.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return MembershipWrite.VersionConflict;
            }
        }

        await using (var change = new NpgsqlCommand(sql, connection, transaction))
        {
            bind(change);
            if (await change.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                // Nothing to change (already dead, or heartbeat fresh again): keep the version.
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return MembershipWrite.NotApplicable;
            }
        }

        await using (var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection, transaction))
        {
            notify.Parameters.Add(new NpgsqlParameter { Value = NotifyChannel });
            notify.Parameters.Add(new NpgsqlParameter { Value = clusterId });
            await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return MembershipWrite.Applied;
    }

    private void AddKey(NpgsqlCommand command, SiloAddress silo)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = clusterId });
        command.Parameters.Add(new NpgsqlParameter { Value = silo.Host });
        command.Parameters.Add(new NpgsqlParameter { Value = silo.Port });
        command.Parameters.Add(new NpgsqlParameter { Value = silo.Generation });
    }
}

/// <summary>Outcome of a conditional membership write.</summary>
public enum MembershipWrite
{
    /// <summary>Written; the table version moved by one.</summary>
    Applied,

    /// <summary>Someone changed the table since it was read: read again and retry.</summary>
    VersionConflict,

    /// <summary>The row did not qualify (already dead, or no longer stale): nothing written.</summary>
    NotApplicable,
}
