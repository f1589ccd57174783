using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Chat.Runtime.Persistence;

/// <summary>
/// Grain state in PostgreSQL (table <c>grain_state</c>): key = service id + grain type + grain key +
/// state name, an integer version as ETag, JSON payload. A write with no ETag inserts only if no
/// row exists; a write with an ETag updates only the row with that version. Anything else is a
/// conflict (<see cref="InconsistentStateException"/>).
/// </summary>
public sealed class PostgresGrainStorage(NpgsqlDataSource dataSource, string serviceId, JsonSerializerOptions serializerOptions) : IGrainStorage
{
    private const string ReadSql =
        "SELECT version, payload FROM grain_state WHERE service_id = $1 AND grain_type = $2 AND grain_key = $3 AND state_name = $4";

    private const string InsertSql =
        "INSERT INTO grain_state (service_id, grain_type, grain_key, state_name, version, payload) VALUES ($1, $2, $3, $4, 1, $5) " +
        "ON CONFLICT DO NOTHING RETURNING version";

    private const string UpdateSql =
        "UPDATE grain_state SET version = version + 1, payload = $5, modified_at = now() " +
        "WHERE service_id = $1 AND grain_type = $2 AND grain_key = $3 AND state_name = $4 AND version = $6 RETURNING version";

    /// <inheritdoc />
    public async Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ReadSql);
        AddKey(command, stateName, grainId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
            grainState.State = GrainStateDefaults.Create<TState>();
            return;
        }

        grainState.ETag = reader.GetInt32(0).ToString(CultureInfo.InvariantCulture);
        if (reader.IsDBNull(1))
        {
            grainState.RecordExists = false;
            grainState.State = GrainStateDefaults.Create<TState>();
        }
        else
        {
            grainState.RecordExists = true;
            grainState.State = JsonSerializer.Deserialize<TState>(reader.GetString(1), serializerOptions)!;
        }
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.Serialize(grainState.State, serializerOptions);
        grainState.ETag = await SwapAsync(stateName, grainId, grainState.ETag, payload, cancellationToken).ConfigureAwait(false);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        // The row stays with a null payload so versions keep increasing and stale writers still conflict.
        grainState.ETag = await SwapAsync(stateName, grainId, grainState.ETag, null, cancellationToken).ConfigureAwait(false);
        grainState.RecordExists = false;
        grainState.State = GrainStateDefaults.Create<TState>();
    }

    private async Task<string> SwapAsync(string stateName, GrainId grainId, string? etag, string? payload, CancellationToken cancellationToken)
    {
        int? expected = null;
        if (etag is not null)
        {
            if (!int.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw new InconsistentStateException($"'{etag}' is not a version of this provider.", null, etag);
            }

            expected = parsed;
        }

        await using var command = dataSource.CreateCommand(expected is null ? InsertSql : UpdateSql);
        AddKey(command, stateName, grainId);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)payload ?? DBNull.Value });
        if (expected is { } version)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = version });
        }

        var result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (result is int newVersion)
        {
            return newVersion.ToString(CultureInfo.InvariantCulture);
        }

        throw new InconsistentStateException(
            $"Version conflict writing {stateName} of {grainId}: expected {etag ?? "no record"}, storage holds another version.",
            null,
            etag);
    }

    private void AddKey(NpgsqlCommand command, string stateName, GrainId grainId)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = serviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = grainId.Type });
        command.Parameters.Add(new NpgsqlParameter { Value = grainId.Key });
        command.Parameters.Add(new NpgsqlParameter { Value = stateName });
    }
}
