using Chat.Runtime.Tests.Infrastructure;

namespace Chat.Runtime.Tests.Grains;

public sealed class LifecycleState
{
    public int Writes { get; set; }

    public string? Note { get; set; }
}

public interface ILifecycleGrain : IGrainWithStringKey
{
    /// <summary>Which activation (instance) answered.</summary>
    Task<Guid> InstanceId();

    Task<string?> ReadNote();

    Task WriteNote(string note);

    Task DeactivateSelf();

    Task KeepAlive(TimeSpan span);

    Task<int> StartTimer(int periodMs, bool interleave);

    Task<int> TimerTicks();

    Task<int> MaxConcurrency();
}

/// <summary>
/// Reports its lifecycle to the probe. Keys starting with "fail-activation" throw in
/// OnActivateAsync; keys starting with "slow-deactivation" hold OnDeactivateAsync on a gate.
/// </summary>
public sealed class LifecycleGrain(Probe probe, [PersistentState("lifecycle")] IPersistentState<LifecycleState> state) : Grain, ILifecycleGrain
{
    private readonly Guid _instance = Guid.NewGuid();
    private int _ticks;
    private int _inside;
    private int _maxInside;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        probe.Record($"{GrainId.Key}:activate:writes={state.State.Writes}:exists={state.RecordExists}");
        if (GrainId.Key.StartsWith("fail-activation", StringComparison.Ordinal))
        {
            var attempt = probe.Increment($"{GrainId.Key}:attempts");
            if (attempt == 1 || !GrainId.Key.EndsWith("-once", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"activation of {GrainId.Key} failed (attempt {attempt})");
            }
        }

        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        probe.Record($"{GrainId.Key}:deactivate:{reason.Code}");
        if (GrainId.Key.StartsWith("slow-deactivation", StringComparison.Ordinal))
        {
            await probe.Gate($"{GrainId.Key}:deactivate").Task;
        }

        probe.Record($"{GrainId.Key}:deactivated");
    }

    public Task<Guid> InstanceId() => Task.FromResult(_instance);

    public Task<string?> ReadNote() => Task.FromResult(state.State.Note);

    public async Task WriteNote(string note)
    {
        state.State.Note = note;
        state.State.Writes++;
        await state.WriteStateAsync();
    }

    public Task DeactivateSelf()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task KeepAlive(TimeSpan span)
    {
        DelayDeactivation(span);
        return Task.CompletedTask;
    }

    public Task<int> StartTimer(int periodMs, bool interleave)
    {
        RegisterGrainTimer(
            async _ =>
            {
                var inside = Interlocked.Increment(ref _inside);
                _maxInside = Math.Max(_maxInside, inside);
                await Task.Yield();
                _ticks++;
                probe.Increment($"{GrainId.Key}:ticks");
                Interlocked.Decrement(ref _inside);
            },
            new Timers.GrainTimerCreationOptions { DueTime = TimeSpan.FromMilliseconds(periodMs), Period = TimeSpan.FromMilliseconds(periodMs), Interleave = interleave });
        return Task.FromResult(_ticks);
    }

    public Task<int> TimerTicks() => Task.FromResult(_ticks);

    public async Task<int> MaxConcurrency()
    {
        var inside = Interlocked.Increment(ref _inside);
        _maxInside = Math.Max(_maxInside, inside);
        await Task.Delay(1);
        Interlocked.Decrement(ref _inside);
        return _maxInside;
    }
}

public interface IShortLivedGrain : IGrainWithStringKey
{
    Task Touch();
}

[CollectionAgeLimit(Minutes = 2)]
public sealed class ShortLivedGrain(Probe probe) : Grain, IShortLivedGrain
{
    public Task Touch() => Task.CompletedTask;

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        probe.Record($"{GrainId.Key}:short-deactivate:{reason.Code}");
        return Task.CompletedTask;
    }
}

public sealed record ImmutablePayload(string Name, int Count);

public sealed class MutablePayload
{
    public List<int> Items { get; set; } = [];
}

public interface ICopyGrain : IGrainWithIntegerKey
{
    Task<ImmutablePayload> Return(ImmutablePayload payload);

    Task<MutablePayload> ReturnMutable(MutablePayload payload);

    Task Store(List<int> items);

    Task<int> StoredCount();

    Task<ICounterGrain> PassReference(ICounterGrain counter);

    /// <summary>-1 for a default (uninitialised) array.</summary>
    Task<int> Count(System.Collections.Immutable.ImmutableArray<int> items);

    Task<System.Collections.Immutable.ImmutableArray<byte>> Bytes(System.Collections.Immutable.ImmutableArray<byte> bytes);
}

public sealed class CopyGrain : Grain, ICopyGrain
{
    private List<int> _stored = [];

    public Task<ImmutablePayload> Return(ImmutablePayload payload) => Task.FromResult(payload);

    public Task<MutablePayload> ReturnMutable(MutablePayload payload) => Task.FromResult(payload);

    public Task Store(List<int> items)
    {
        _stored = items;
        return Task.CompletedTask;
    }

    public Task<int> StoredCount() => Task.FromResult(_stored.Count);

    public Task<ICounterGrain> PassReference(ICounterGrain counter) => Task.FromResult(counter);

    public Task<int> Count(System.Collections.Immutable.ImmutableArray<int> items) => Task.FromResult(items.IsDefault ? -1 : items.Length);

    public Task<System.Collections.Immutable.ImmutableArray<byte>> Bytes(System.Collections.Immutable.ImmutableArray<byte> bytes) => Task.FromResult(bytes);
}
