using System.Buffers;
using System.ComponentModel;
using System.Text.Json;
using System.Threading.Tasks.Sources;

namespace Chat.Runtime.Invocation;

/// <summary>How a request may be scheduled, from the interface method's attributes.</summary>
[Flags]
public enum RequestFlags
{
    /// <summary>An ordinary request: exclusive turn.</summary>
    None = 0,

    /// <summary><see cref="ReadOnlyAttribute"/>: may overlap other read-only requests.</summary>
    ReadOnly = 1,

    /// <summary><see cref="AlwaysInterleaveAttribute"/>: may overlap anything.</summary>
    AlwaysInterleave = 2,

    /// <summary><see cref="OneWayAttribute"/>: no response.</summary>
    OneWay = 4,
}

/// <summary>Receives the outcome of a request that arrived from another process.</summary>
public interface IResponseSink
{
    /// <summary>The request completed with a value.</summary>
    void OnResult<T>(GrainRequest<T> request, T result);

    /// <summary>The request failed.</summary>
    void OnException(GrainRequest request, Exception exception);
}

/// <summary>Told when a request that an activation started has finished.</summary>
internal interface IRequestCompletionListener
{
    /// <summary>Copies results for the local caller.</summary>
    IDeepCopier ResultCopier { get; }

    void OnRequestFinished(GrainRequest request, Exception? exception);
}

/// <summary>
/// One call to a grain method: its arguments, how it is scheduled, and (for local callers) the
/// completion the caller awaits. Generated per interface method by the code generator.
/// The request object is the only allocation of a local call whose method returns a ValueTask.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class GrainRequest
{
    private int _finished;

    /// <summary>The target grain; set by the runtime when the request is sent.</summary>
    public GrainId Target { get; internal set; }

    /// <summary>When the request was sent, as a <see cref="TimeProvider"/> timestamp.</summary>
    internal long SentTimestamp { get; set; }

    /// <summary>Deadline as a <see cref="TimeProvider"/> timestamp; 0 means none.</summary>
    internal long DeadlineTimestamp { get; set; }

    /// <summary>Set for requests that arrived over the network: the place the outcome goes.</summary>
    public IResponseSink? ResponseSink { get; set; }

    internal IRequestCompletionListener? Listener { get; set; }

    /// <summary>Correlation id of a request travelling over a connection.</summary>
    internal long CorrelationId { get; set; }

    /// <summary>How many times the request was re-routed after a "moved" answer.</summary>
    internal int Hops { get; set; }

    /// <summary>The silos whose grain turns this call serves (see <see cref="CallChain"/>); null from outside any turn.</summary>
    internal long[]? Chain { get; set; }

    /// <summary>Completes the request with a result read from JSON (a remote response).</summary>
    internal abstract void CompleteFromJson(ReadOnlySequence<byte> json, JsonSerializerOptions options);

    /// <summary>The full name of the grain interface declaring the method.</summary>
    public abstract string InterfaceName { get; }

    /// <summary>The method's name.</summary>
    public abstract string MethodName { get; }

    /// <summary>The index of the method within its interface (stable for one build of the contracts).</summary>
    public abstract int MethodId { get; }

    /// <summary>Scheduling flags.</summary>
    public abstract RequestFlags Flags { get; }

    /// <summary>The method's own timeout (<see cref="ResponseTimeoutAttribute"/>), if any.</summary>
    public virtual TimeSpan? Timeout => null;

    /// <summary>Replaces mutable arguments with copies so caller and callee share nothing mutable.</summary>
    public abstract void CopyArguments(IDeepCopier copier);

    /// <summary>Writes the arguments as a JSON array.</summary>
    public abstract void WriteArguments(Utf8JsonWriter writer, JsonSerializerOptions options);

    /// <summary>Reads the arguments from a JSON array.</summary>
    public abstract void ReadArguments(ref Utf8JsonReader reader, JsonSerializerOptions options);

    /// <summary>True once the request has an outcome (result, exception or timeout).</summary>
    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    internal bool IsOneWay => (Flags & RequestFlags.OneWay) != 0;

    /// <summary>Runs the method on the grain; completes the caller and tells the listener when done.</summary>
    internal abstract void Execute(object grain);

    /// <summary>Completes the request with an error unless it already finished. Returns true if it did.</summary>
    public abstract bool TryFail(Exception exception);

    /// <summary>Claims the single right to complete the request.</summary>
    protected bool TryClaimCompletion() => Interlocked.Exchange(ref _finished, 1) == 0;

    /// <inheritdoc />
    public override string ToString() => $"{InterfaceName}.{MethodName} -> {Target}";
}

/// <summary>A request whose method returns <typeparamref name="TResult"/> (or nothing: <see cref="VoidResult"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class GrainRequest<TResult> : GrainRequest, IValueTaskSource<TResult>, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<TResult> _core;
    private PendingInvocation? _pending;

    /// <summary>Calls the grain method.</summary>
    protected abstract ValueTask<TResult> InvokeCore(object grain);

    internal override void CompleteFromJson(ReadOnlySequence<byte> json, JsonSerializerOptions options)
    {
        TResult result;
        try
        {
            var reader = new Utf8JsonReader(json);
            result = JsonSerializer.Deserialize<TResult>(ref reader, options)!;
        }
        catch (Exception ex)
        {
            TryFail(ex);
            return;
        }

        SetResult(result);
    }

    /// <summary>The caller's view of the outcome.</summary>
    public ValueTask<TResult> AsValueTask() => new(this, _core.Version);

    /// <summary>The caller's view of the outcome, without the value.</summary>
    public ValueTask AsVoidValueTask() => new(this, _core.Version);

    internal override void Execute(object grain)
    {
        ValueTask<TResult> pending;
        try
        {
            pending = InvokeCore(grain);
        }
        catch (Exception ex)
        {
            Finish(default, ex);
            return;
        }

        if (pending.IsCompleted)
        {
            CompleteFrom(pending);
            return;
        }

        // The grain's own continuations run on its activation; this one only records the outcome,
        // so it must not capture the activation's context. Only asynchronous methods pay for it.
        var holder = _pending ??= new PendingInvocation(this);
        holder.Pending = pending;
        pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(holder.OnCompleted);
    }

    private sealed class PendingInvocation
    {
        private readonly GrainRequest<TResult> _owner;

        public PendingInvocation(GrainRequest<TResult> owner)
        {
            _owner = owner;
            OnCompleted = Complete;
        }

        public ValueTask<TResult> Pending { get; set; }

        public Action OnCompleted { get; }

        private void Complete()
        {
            var pending = Pending;
            Pending = default;
            _owner.CompleteFrom(pending);
        }
    }

    private void CompleteFrom(ValueTask<TResult> pending)
    {
        TResult result;
        try
        {
            result = pending.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            Finish(default, ex);
            return;
        }

        Finish(result, null);
    }

    private void Finish(TResult? result, Exception? exception)
    {
        // Copy before the activation learns the turn ended: the next turn may change what the result points to.
        if (exception is null && ResponseSink is null && Listener?.ResultCopier is { } copier)
        {
            try
            {
                result = copier.Copy(result);
            }
            catch (Exception ex)
            {
                exception = ex;
            }
        }

        var listener = Listener;
        Listener = null;
        if (ResponseSink is not null)
        {
            // A remote response is serialised inside Complete, so it must happen before the next turn starts.
            Complete(result, exception);
            listener?.OnRequestFinished(this, exception);
            return;
        }

        // The activation learns first so its next turn can start while the caller continues.
        listener?.OnRequestFinished(this, exception);
        Complete(result, exception);
    }

    private void Complete(TResult? result, Exception? exception)
    {
        if (exception is null)
        {
            SetResult(result!);
        }
        else
        {
            TryFail(exception);
        }
    }

    /// <summary>Completes the request with a value unless it already finished.</summary>
    public bool SetResult(TResult result)
    {
        if (!TryClaimCompletion())
        {
            return false;
        }

        if (ResponseSink is { } sink)
        {
            sink.OnResult(this, result);
            return true;
        }

        if (IsOneWay)
        {
            return true;
        }

        // Callers without a context of their own continue inline; they must not inherit the
        // callee activation's context, or their next awaits would be queued on the callee.
        var context = SynchronizationContext.Current;
        if (context is null)
        {
            _core.SetResult(result);
            return true;
        }

        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            _core.SetResult(result);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }

        return true;
    }

    /// <inheritdoc />
    public override bool TryFail(Exception exception)
    {
        if (!TryClaimCompletion())
        {
            return false;
        }

        if (ResponseSink is { } sink)
        {
            sink.OnException(this, exception);
            return true;
        }

        if (IsOneWay)
        {
            return true;
        }

        var context = SynchronizationContext.Current;
        if (context is null)
        {
            _core.SetException(exception);
            return true;
        }

        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            _core.SetException(exception);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }

        return true;
    }

    TResult IValueTaskSource<TResult>.GetResult(short token) => _core.GetResult(token);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<TResult>.GetStatus(short token) => _core.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<TResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>The "result" of a method that returns <see cref="Task"/> or <see cref="ValueTask"/>.</summary>
public readonly struct VoidResult
{
    /// <summary>Adapts a <see cref="Task"/> without allocating when it already completed.</summary>
    public static ValueTask<VoidResult> From(Task task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return default;
        }

        return new ValueTask<VoidResult>(AwaitTask(task));
    }

    /// <summary>Adapts a <see cref="ValueTask"/> without allocating when it already completed.</summary>
    public static ValueTask<VoidResult> From(ValueTask task)
    {
        if (task.IsCompletedSuccessfully)
        {
            task.GetAwaiter().GetResult();
            return default;
        }

        return AwaitValueTask(task);
    }

    private static async Task<VoidResult> AwaitTask(Task task)
    {
        await task.ConfigureAwait(false);
        return default;
    }

    private static async ValueTask<VoidResult> AwaitValueTask(ValueTask task)
    {
        await task.ConfigureAwait(false);
        return default;
    }
}
