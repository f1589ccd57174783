namespace Chat.Runtime;

/// <summary>
/// A grain's persisted state: loaded before <see cref="Grain.OnActivateAsync"/>, written only when
/// the grain asks. Every write is conditional on <see cref="Etag"/>; a conflict throws
/// <see cref="InconsistentStateException"/> and deactivates the activation.
/// </summary>
public interface IPersistentState<TState>
{
    /// <summary>The state (a fresh default instance when nothing was stored).</summary>
    TState State { get; set; }

    /// <summary>The stored version this activation holds; null when nothing is stored.</summary>
    string? Etag { get; }

    /// <summary>Whether a record exists in storage.</summary>
    bool RecordExists { get; }

    /// <summary>Reloads the state from storage.</summary>
    Task ReadStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes the state if storage still holds <see cref="Etag"/>.</summary>
    Task WriteStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Clears the stored state if storage still holds <see cref="Etag"/>, and resets <see cref="State"/>.</summary>
    Task ClearStateAsync(CancellationToken cancellationToken = default);
}

/// <summary>Marks a grain constructor parameter of type <see cref="IPersistentState{TState}"/>.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PersistentStateAttribute(string stateName, string? storageName = null) : Attribute
{
    /// <summary>The state's name (part of its storage key).</summary>
    public string StateName { get; } = stateName;

    /// <summary>The storage provider's name; null for the default provider.</summary>
    public string? StorageName { get; } = storageName;
}

/// <summary>The state, version and existence a storage provider reads and writes.</summary>
public interface IGrainState<TState>
{
    /// <summary>The state.</summary>
    TState State { get; set; }

    /// <summary>The version held.</summary>
    string? ETag { get; set; }

    /// <summary>Whether a record exists.</summary>
    bool RecordExists { get; set; }
}

/// <summary>A grain storage provider. Implementations must make every write conditional.</summary>
public interface IGrainStorage
{
    /// <summary>Reads the state (or resets it to a new instance when none is stored).</summary>
    Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken);

    /// <summary>Writes the state; throws <see cref="InconsistentStateException"/> when the stored version differs.</summary>
    Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken);

    /// <summary>Clears the state; throws <see cref="InconsistentStateException"/> when the stored version differs.</summary>
    Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken);
}

/// <summary>Names of storage providers.</summary>
public static class GrainStorageNames
{
    /// <summary>The provider used when <see cref="PersistentStateAttribute.StorageName"/> is null.</summary>
    public const string Default = "Default";
}

/// <summary>The <see cref="IPersistentState{TState}"/> given to a grain.</summary>
internal sealed class PersistentState<TState> : IPersistentState<TState>, IGrainState<TState>, ILoadableState
{
    private readonly string _stateName;
    private readonly GrainId _grainId;
    private readonly IGrainStorage _storage;

    public PersistentState(string stateName, GrainId grainId, IGrainStorage storage)
    {
        _stateName = stateName;
        _grainId = grainId;
        _storage = storage;
        State = GrainStateDefaults.Create<TState>();
    }

    public TState State { get; set; }

    public string? Etag => ETag;

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }

    public Task ReadStateAsync(CancellationToken cancellationToken = default) => _storage.ReadStateAsync(_stateName, _grainId, this, cancellationToken);

    public Task WriteStateAsync(CancellationToken cancellationToken = default) => _storage.WriteStateAsync(_stateName, _grainId, this, cancellationToken);

    public Task ClearStateAsync(CancellationToken cancellationToken = default) => _storage.ClearStateAsync(_stateName, _grainId, this, cancellationToken);

    Task ILoadableState.LoadAsync(CancellationToken cancellationToken) => ReadStateAsync(cancellationToken);
}

/// <summary>State the runtime loads before activation.</summary>
internal interface ILoadableState
{
    Task LoadAsync(CancellationToken cancellationToken);
}

/// <summary>The state a grain sees when nothing is stored.</summary>
public static class GrainStateDefaults
{
    /// <summary>A new instance (parameterless constructor), or an empty string.</summary>
    public static TState Create<TState>() =>
        typeof(TState) == typeof(string) ? (TState)(object)string.Empty : Activator.CreateInstance<TState>();
}
