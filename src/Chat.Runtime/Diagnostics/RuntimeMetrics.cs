using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Chat.Runtime.Diagnostics;

/// <summary>
/// The runtime's instruments (meter <c>Chat.Runtime</c>): calls, call duration, activations per
/// grain type and queue length. Recording is skipped when nobody listens.
/// </summary>
public sealed class RuntimeMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Chat.Runtime";

    private readonly Counter<long> _calls;
    private readonly Counter<long> _failedCalls;
    private readonly Histogram<double> _callDuration;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _activations = new();

    /// <summary>Creates the instruments on <paramref name="meterFactory"/>.</summary>
    public RuntimeMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _calls = meter.CreateCounter<long>("chat.runtime.calls", description: "Grain calls executed");
        _failedCalls = meter.CreateCounter<long>("chat.runtime.calls.failed", description: "Grain calls that threw");
        _callDuration = meter.CreateHistogram<double>("chat.runtime.call.duration", unit: "ms", description: "Time from send to completion of grain calls executed by this silo");
        meter.CreateObservableGauge("chat.runtime.activations", ObserveActivations, description: "Live activations per grain type");
        meter.CreateObservableGauge("chat.runtime.queue.length", () => QueueLengthProvider?.Invoke() ?? 0, description: "Requests waiting in activation queues");
        meter.CreateObservableGauge("chat.runtime.membership.version", () => MembershipVersionProvider?.Invoke() ?? -1, description: "Version of the membership view this process holds");
        meter.CreateObservableGauge("chat.runtime.membership.active_silos", () => ActiveSilosProvider?.Invoke() ?? 0, description: "Active silos in the membership view");
        _databaseErrors = meter.CreateCounter<long>("chat.runtime.database.errors", description: "PostgreSQL operations of the runtime that failed (membership, storage)");
        _remoteCalls = meter.CreateCounter<long>("chat.runtime.remote.calls", description: "Grain calls sent to another process");
    }

    private readonly Counter<long> _databaseErrors;
    private readonly Counter<long> _remoteCalls;

    /// <summary>Supplies the membership view version (set when clustered).</summary>
    internal Func<long>? MembershipVersionProvider { get; set; }

    /// <summary>Supplies the number of active silos (set when clustered).</summary>
    internal Func<long>? ActiveSilosProvider { get; set; }

    internal void DatabaseError(string operation) => _databaseErrors.Add(1, new KeyValuePair<string, object?>("operation", operation));

    internal void RemoteCall() => _remoteCalls.Add(1);

    /// <summary>Supplies the total queue length (set by the catalog).</summary>
    internal Func<long>? QueueLengthProvider { get; set; }

    internal void RecordCall(string grainType, TimeSpan duration, bool failed)
    {
        if (_calls.Enabled)
        {
            _calls.Add(1, new KeyValuePair<string, object?>("grain.type", grainType));
        }

        if (failed && _failedCalls.Enabled)
        {
            _failedCalls.Add(1, new KeyValuePair<string, object?>("grain.type", grainType));
        }

        if (_callDuration.Enabled)
        {
            _callDuration.Record(duration.TotalMilliseconds, new KeyValuePair<string, object?>("grain.type", grainType));
        }
    }

    internal void ActivationCreated(string grainType) => Interlocked.Increment(ref _activations.GetOrAdd(grainType, static _ => new StrongBox<long>()).Value);

    internal void ActivationRemoved(string grainType) => Interlocked.Decrement(ref _activations.GetOrAdd(grainType, static _ => new StrongBox<long>()).Value);

    private IEnumerable<Measurement<long>> ObserveActivations()
    {
        foreach (var (type, count) in _activations)
        {
            yield return new Measurement<long>(Volatile.Read(ref count.Value), new KeyValuePair<string, object?>("grain.type", type));
        }
    }

    private sealed class StrongBox<T>
    {
        public T Value = default!;
    }
}
