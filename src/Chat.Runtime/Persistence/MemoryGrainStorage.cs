using System.Text.Json;

namespace Chat.Runtime.Persistence;

/// <summary>
/// Storage in this process's memory, for tests and demos. It keeps serialised copies, so a grain
/// never shares objects with storage, and applies the same version rules as the PostgreSQL provider.
/// </summary>
public sealed class MemoryGrainStorage(JsonSerializerOptions serializerOptions) : IGrainStorage
{
    private readonly Dictionary<(string Type, string Key, string State), (int Version, byte[]? Payload)> _records = [];

    /// <inheritdoc />
    public Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        (int Version, byte[]? Payload) record;
        bool found;
        lock (_records)
        {
            found = _records.TryGetValue((grainId.Type, grainId.Key, stateName), out record);
        }

        grainState.ETag = found ? Format(record.Version) : null;
        grainState.RecordExists = found && record.Payload is not null;
        grainState.State = grainState.RecordExists
            ? JsonSerializer.Deserialize<TState>(record.Payload, serializerOptions)!
            : GrainStateDefaults.Create<TState>();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(grainState.State, serializerOptions);
        grainState.ETag = Format(Swap(stateName, grainId, grainState.ETag, payload));
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken)
    {
        grainState.ETag = Format(Swap(stateName, grainId, grainState.ETag, null));
        grainState.RecordExists = false;
        grainState.State = GrainStateDefaults.Create<TState>();
        return Task.CompletedTask;
    }

    private int Swap(string stateName, GrainId grainId, string? expectedEtag, byte[]? payload)
    {
        var key = (grainId.Type, grainId.Key, stateName);
        lock (_records)
        {
            var exists = _records.TryGetValue(key, out var current);
            var currentEtag = exists ? Format(current.Version) : null;
            if (currentEtag != expectedEtag)
            {
                throw new InconsistentStateException(
                    $"Version conflict writing {stateName} of {grainId}: expected {expectedEtag ?? "none"}, found {currentEtag ?? "none"}.",
                    currentEtag,
                    expectedEtag);
            }

            var version = exists ? current.Version + 1 : 1;
            _records[key] = (version, payload);
            return version;
        }
    }

    private static string Format(int version) => version.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
