using Chat.Runtime.Diagnostics;
using Chat.Runtime.Invocation;
using Chat.Runtime.Timers;

namespace Chat.Runtime.Activation;

/// <summary>
/// One activation of a grain: its instance, its queue of requests, and the turn scheduler that
/// runs them. Scheduling is a small state machine under one lock; the work itself runs on the
/// thread pool with <see cref="ActivationSynchronizationContext"/> installed, one item at a time.
/// </summary>
internal sealed class ActivationData : IThreadPoolWorkItem, IRequestCompletionListener, IGrainContext
{
    private const int TurnBudget = 64;

    private readonly object _lock = new();
    private readonly Catalog _catalog;
    private readonly GrainClass _grainClass;
    private readonly ActivationSynchronizationContext _syncContext;
    private readonly Queue<QueuedWork> _waiting = new();
    private readonly Queue<QueuedWork> _interleaving = new();
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _continuations = new();
    private readonly List<GrainRequest> _running = [];
    private readonly List<GrainRequest> _released = [];

    /// <summary>The request whose method this thread is starting (set around its synchronous part only, so no async-local cost).</summary>
    [ThreadStatic]
    private static GrainRequest? t_starting;
    private readonly List<GrainTimer> _timers = [];

    private Lifecycle _lifecycle = Lifecycle.Created;
    private bool _scheduled;
    private int _gatedRunning;
    private bool _allRunningReadOnly;
    private int _interleavedRunning;
    private DeactivationReason? _deactivationRequested;
    private long _lastActive;
    private long _keepAliveUntil;
    private object? _grain;
    private TaskCompletionSource? _gone;

    public ActivationData(GrainId grainId, GrainClass grainClass, Catalog catalog)
    {
        GrainId = grainId;
        _grainClass = grainClass;
        _catalog = catalog;
        _syncContext = new ActivationSynchronizationContext(this);
        _lastActive = catalog.Time.GetTimestamp();
    }

    private enum Lifecycle
    {
        Created,
        Activating,
        Valid,
        Deactivating,
        Invalid,
    }

    private enum Step
    {
        None,
        Continuation,
        Activate,
        Deactivate,
        Request,
        Timer,
    }

    public GrainId GrainId { get; }

    public object? GrainInstance => _grain;

    public IGrainFactory GrainFactory => _catalog.GrainFactory;

    public IServiceProvider ActivationServices => _catalog.Services;

    public string GrainType => _grainClass.GrainType;

    public IDeepCopier ResultCopier => _catalog.Copier;

    public bool IsValid
    {
        get
        {
            lock (_lock)
            {
                return _lifecycle == Lifecycle.Valid;
            }
        }
    }

    public int QueueLength
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count + _interleaving.Count;
            }
        }
    }

    /// <summary>Queues a request. False when this activation is gone and the caller must look again.</summary>
    public bool TryEnqueue(GrainRequest request)
    {
        lock (_lock)
        {
            if (_lifecycle == Lifecycle.Invalid)
            {
                return false;
            }

            var work = new QueuedWork(request, null);
            if ((request.Flags & RequestFlags.AlwaysInterleave) != 0)
            {
                _interleaving.Enqueue(work);
            }
            else
            {
                _waiting.Enqueue(work);
            }

            ScheduleIfRunnable();
            return true;
        }
    }

    public void PostContinuation(SendOrPostCallback callback, object? state)
    {
        lock (_lock)
        {
            _continuations.Enqueue((callback, state));
            ScheduleIfRunnable();
        }
    }

    public void EnqueueTimerTick(GrainTimer timer)
    {
        lock (_lock)
        {
            if (_lifecycle != Lifecycle.Valid || timer.IsDisposed)
            {
                return;
            }

            var work = new QueuedWork(null, timer);
            if (timer.Options.Interleave || _grainClass.IsReentrant)
            {
                _interleaving.Enqueue(work);
            }
            else
            {
                _waiting.Enqueue(work);
            }

            ScheduleIfRunnable();
        }
    }

    public void Deactivate(DeactivationReason reason)
    {
        lock (_lock)
        {
            if (_deactivationRequested is null && _lifecycle is Lifecycle.Created or Lifecycle.Activating or Lifecycle.Valid)
            {
                _deactivationRequested = reason;
                ScheduleIfRunnable();
            }
        }
    }

    /// <summary>Completes once this activation is gone (deactivated, failed to activate, or aborted).</summary>
    public Task WhenGone
    {
        get
        {
            lock (_lock)
            {
                return _lifecycle == Lifecycle.Invalid
                    ? Task.CompletedTask
                    : (_gone ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }

    private void SignalGone()
    {
        TaskCompletionSource? gone;
        lock (_lock)
        {
            gone = _gone;
        }

        gone?.TrySetResult();
    }

    /// <summary>The request of this activation whose method runs right now on this thread (its part before the first await).</summary>
    public ReleasableTurn CaptureCurrentTurn()
    {
        var request = t_starting;
        if (request is null || !ReferenceEquals(request.Listener, this))
        {
            throw new InvalidOperationException("CurrentTurn() can only be called by a grain method of this activation, before its first await.");
        }

        return new ReleasableTurn(this, request);
    }

    /// <summary>Ends <paramref name="request"/>'s turn now; it is answered when its method returns.</summary>
    internal void Release(GrainRequest request)
    {
        lock (_lock)
        {
            // Already finished, or released before.
            if (!ReferenceEquals(request.Listener, this) || !_running.Contains(request))
            {
                return;
            }

            EndTurnLocked(request, _catalog.Time.GetTimestamp());
            _released.Add(request);
            request.Listener = new ReleasedTurn(this);
            ScheduleIfRunnable();
        }
    }

    /// <summary>
    /// Stands in for the activation once a request's turn was released: its end frees no turn, but
    /// the call is still timed (metrics) and expired (a caller never waits past its deadline).
    /// </summary>
    private sealed class ReleasedTurn(ActivationData activation) : IRequestCompletionListener
    {
        public IDeepCopier ResultCopier => activation._catalog.Copier;

        public void OnRequestFinished(GrainRequest request, Exception? exception)
        {
            var catalog = activation._catalog;
            catalog.Metrics.RecordCall(activation.GrainType, catalog.Time.GetElapsedTime(request.SentTimestamp), exception is not null);
            lock (activation._lock)
            {
                activation._released.Remove(request);
            }
        }
    }

    public void DelayDeactivation(TimeSpan timeSpan)
    {
        var until = _catalog.Time.GetTimestamp() + Timestamps.FromTimeSpan(_catalog.Time, timeSpan);
        lock (_lock)
        {
            _keepAliveUntil = Math.Max(_keepAliveUntil, until);
        }
    }

    public IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentNullException.ThrowIfNull(options);
        var timer = new GrainTimer(this, _catalog.Time, callback, options);
        lock (_lock)
        {
            _timers.Add(timer);
        }

        return timer;
    }

    public void OnTimerDisposed(GrainTimer timer)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
        }
    }

    /// <summary>Ends the activation at once: no OnDeactivateAsync, queued requests fail (a crash).</summary>
    public void Abort()
    {
        List<QueuedWork> dropped;
        GrainTimer[] timers;
        lock (_lock)
        {
            _lifecycle = Lifecycle.Invalid;
            dropped = [.. _waiting, .. _interleaving];
            _waiting.Clear();
            _interleaving.Clear();
            _continuations.Clear();
            timers = [.. _timers];
        }

        SignalGone();
        foreach (var timer in timers)
        {
            timer.Dispose();
        }

        foreach (var work in dropped)
        {
            work.Request?.TryFail(new SiloUnavailableException("The silo stopped."));
        }
    }

    /// <summary>Deactivates if unused for longer than <paramref name="collectionAge"/>.</summary>
    public void CollectIfIdle(long now, TimeSpan collectionAge)
    {
        lock (_lock)
        {
            if (_lifecycle != Lifecycle.Valid || _deactivationRequested is not null || _gatedRunning != 0 || _interleavedRunning != 0
                || _waiting.Count != 0 || _interleaving.Count != 0 || _continuations.Count != 0 || now < _keepAliveUntil
                || _catalog.Time.GetElapsedTime(_lastActive, now) < collectionAge)
            {
                return;
            }

            _deactivationRequested = new DeactivationReason(DeactivationReasonCode.ActivationIdle, $"idle for more than {collectionAge}");
            ScheduleIfRunnable();
        }
    }

    /// <summary>Deactivates now if nothing runs or waits here (a stopping silo's later passes).</summary>
    public void DeactivateIfIdle(DeactivationReason reason)
    {
        lock (_lock)
        {
            if (_lifecycle != Lifecycle.Valid || _deactivationRequested is not null || _gatedRunning != 0 || _interleavedRunning != 0
                || _waiting.Count != 0 || _interleaving.Count != 0 || _continuations.Count != 0)
            {
                return;
            }

            _deactivationRequested = reason;
            ScheduleIfRunnable();
        }
    }

    /// <summary>Fails queued and running requests whose deadline passed (queued ones are then dropped unexecuted).</summary>
    public void ExpireRequests(long now, List<GrainRequest> expired)
    {
        lock (_lock)
        {
            foreach (var work in _waiting)
            {
                AddIfExpired(work.Request, now, expired);
            }

            foreach (var work in _interleaving)
            {
                AddIfExpired(work.Request, now, expired);
            }

            foreach (var request in _running)
            {
                AddIfExpired(request, now, expired);
            }

            foreach (var request in _released)
            {
                AddIfExpired(request, now, expired);
            }
        }
    }

    private static void AddIfExpired(GrainRequest? request, long now, List<GrainRequest> expired)
    {
        if (request is { DeadlineTimestamp: > 0, IsFinished: false } && request.DeadlineTimestamp <= now)
        {
            expired.Add(request);
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(_syncContext);
        try
        {
            for (var budget = TurnBudget; budget > 0; budget--)
            {
                Step step;
                QueuedWork work = default;
                SendOrPostCallback? callback = null;
                object? state = null;
                lock (_lock)
                {
                    step = NextStep(ref work, ref callback, ref state);
                    if (step == Step.None)
                    {
                        _scheduled = false;
                        return;
                    }
                }

                RunStep(step, work, callback, state);
            }

            // Out of budget: yield the thread so other activations get their turn.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private Step NextStep(ref QueuedWork work, ref SendOrPostCallback? callback, ref object? state)
    {
        if (_continuations.TryDequeue(out var continuation))
        {
            (callback, state) = continuation;
            return Step.Continuation;
        }

        switch (_lifecycle)
        {
            case Lifecycle.Created:
                _lifecycle = Lifecycle.Activating;
                return Step.Activate;
            case Lifecycle.Valid:
                if (_deactivationRequested is not null)
                {
                    if (_gatedRunning == 0 && _interleavedRunning == 0)
                    {
                        _lifecycle = Lifecycle.Deactivating;
                        return Step.Deactivate;
                    }

                    return Step.None;
                }

                var now = _catalog.Time.GetTimestamp();
                while (_interleaving.TryDequeue(out work))
                {
                    if (TryDropExpired(work, now))
                    {
                        continue;
                    }

                    _interleavedRunning++;
                    return Begin(work, now);
                }

                while (_waiting.TryPeek(out work))
                {
                    if (TryDropExpired(work, now))
                    {
                        _waiting.Dequeue();
                        continue;
                    }

                    var readOnly = IsReadOnly(work);
                    if (!CanStartGated(readOnly))
                    {
                        return Step.None;
                    }

                    _waiting.Dequeue();
                    _allRunningReadOnly = _gatedRunning == 0 ? readOnly : _allRunningReadOnly && readOnly;
                    _gatedRunning++;
                    return Begin(work, now);
                }

                return Step.None;
            default:
                return Step.None;
        }
    }

    private Step Begin(QueuedWork work, long now)
    {
        if (work.Request is { } request)
        {
            _running.Add(request);
            _lastActive = now;
            return Step.Request;
        }

        if (work.Timer!.Options.KeepAlive)
        {
            _lastActive = now;
        }

        return Step.Timer;
    }

    private static bool IsReadOnly(QueuedWork work) => work.Request is { } request && (request.Flags & RequestFlags.ReadOnly) != 0;

    private bool CanStartGated(bool readOnly) =>
        _grainClass.IsReentrant || _gatedRunning == 0 || (readOnly && _allRunningReadOnly);

    private bool TryDropExpired(QueuedWork work, long now)
    {
        if (work.Request is not { } request)
        {
            return work.Timer!.IsDisposed;
        }

        if (request.IsFinished)
        {
            return true;
        }

        if (request.DeadlineTimestamp > 0 && request.DeadlineTimestamp <= now)
        {
            // Failing completes the caller, whose continuation may call back into this activation:
            // never under our lock.
            ThreadPool.UnsafeQueueUserWorkItem(static r => r.TryFail(Catalog.TimeoutException(r)), request, preferLocal: true);
            return true;
        }

        return false;
    }

    private void ScheduleIfRunnable()
    {
        if (_scheduled || !HasRunnableWork())
        {
            return;
        }

        _scheduled = true;
        // The local queue of the current pool thread: cheaper than the global queue, and the
        // activation's data is likely still in this core's cache.
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
    }

    private bool HasRunnableWork()
    {
        if (_continuations.Count != 0)
        {
            return true;
        }

        return _lifecycle switch
        {
            Lifecycle.Created => true,
            Lifecycle.Valid when _deactivationRequested is not null => _gatedRunning == 0 && _interleavedRunning == 0,
            Lifecycle.Valid => _interleaving.Count != 0 || (_waiting.TryPeek(out var head) && CanStartGated(IsReadOnly(head))),
            _ => false,
        };
    }

    private void RunStep(Step step, QueuedWork work, SendOrPostCallback? callback, object? state)
    {
        if (step == Step.Continuation)
        {
            // A continuation runs in the execution context its await captured: its chain is already there.
            RunContinuation(callback!, state);
            return;
        }

        // Calls made by this turn serve this silo's work (and whatever the request served).
        var previous = CallChain.Enter(work.Request?.Chain, _catalog.SelfChainId, _catalog.SelfOnlyChain);
        try
        {
            RunTurnStep(step, work);
        }
        finally
        {
            CallChain.Restore(previous);
        }
    }

    private void RunContinuation(SendOrPostCallback callback, object? state)
    {
        try
        {
            callback(state);
        }
        catch (Exception ex)
        {
            _catalog.Log.UnhandledContinuationException(GrainId, ex);
        }
    }

    private void RunTurnStep(Step step, QueuedWork work)
    {
        switch (step)
        {
            case Step.Activate:
                _ = ActivateAsync();
                break;
            case Step.Deactivate:
                _ = DeactivateAsync();
                break;
            case Step.Request:
                var request = work.Request!;
                request.Listener = this;
                var outer = t_starting;
                t_starting = request;
                try
                {
                    request.Execute(_grain!);
                }
                finally
                {
                    t_starting = outer;
                }

                break;
            case Step.Timer:
                _ = RunTimerAsync(work.Timer!);
                break;
        }
    }

    void IRequestCompletionListener.OnRequestFinished(GrainRequest request, Exception? exception)
    {
        var now = _catalog.Time.GetTimestamp();
        _catalog.Metrics.RecordCall(GrainType, _catalog.Time.GetElapsedTime(request.SentTimestamp, now), exception is not null);
        lock (_lock)
        {
            EndTurnLocked(request, now);
            if (exception is InconsistentStateException && _deactivationRequested is null)
            {
                // The state this activation holds is stale; the next call reloads it in a new activation.
                _deactivationRequested = new DeactivationReason(DeactivationReasonCode.InconsistentState, exception.Message);
            }

            ScheduleIfRunnable();
        }
    }

    /// <summary>The request no longer holds a turn here (it finished, or its turn was released).</summary>
    private void EndTurnLocked(GrainRequest request, long now)
    {
        _running.Remove(request);
        if ((request.Flags & RequestFlags.AlwaysInterleave) != 0)
        {
            _interleavedRunning--;
        }
        else
        {
            _gatedRunning--;
        }

        _lastActive = now;
    }

    private async Task RunTimerAsync(GrainTimer timer)
    {
        try
        {
            await timer.RunAsync();
        }
        catch (Exception ex)
        {
            _catalog.Log.TimerCallbackFailed(GrainId, ex);
        }
        finally
        {
            lock (_lock)
            {
                if (timer.Options.Interleave || _grainClass.IsReentrant)
                {
                    _interleavedRunning--;
                }
                else
                {
                    _gatedRunning--;
                }

                if (timer.Options.KeepAlive)
                {
                    _lastActive = _catalog.Time.GetTimestamp();
                }

                ScheduleIfRunnable();
            }

            timer.OnTurnCompleted();
        }
    }

    private async Task ActivateAsync()
    {
        try
        {
            await _catalog.BeforeActivateAsync(GrainId);
            var states = new List<ILoadableState>();
            _grain = _grainClass.Create(this, _catalog.Services, states);
            using var cancellation = new CancellationTokenSource(_catalog.Options.ActivationTimeout);
            foreach (var state in states)
            {
                await state.LoadAsync(cancellation.Token);
            }

            if (_grain is Grain grain)
            {
                await grain.OnActivateAsync(cancellation.Token);
            }
        }
        catch (Exception ex)
        {
            _catalog.Log.ActivationFailed(GrainId, ex);
            List<QueuedWork> failed;
            lock (_lock)
            {
                _lifecycle = Lifecycle.Invalid;
                failed = [.. _waiting, .. _interleaving];
                _waiting.Clear();
                _interleaving.Clear();
            }

            _catalog.OnActivationGone(this);
            SignalGone();
            foreach (var work in failed)
            {
                work.Request?.TryFail(ex);
            }

            return;
        }

        _catalog.Metrics.ActivationCreated(GrainType);
        _catalog.Log.Activated(GrainId);
        lock (_lock)
        {
            _lifecycle = Lifecycle.Valid;
            _lastActive = _catalog.Time.GetTimestamp();
            ScheduleIfRunnable();
        }
    }

    private async Task DeactivateAsync()
    {
        DeactivationReason reason;
        GrainTimer[] timers;
        lock (_lock)
        {
            reason = _deactivationRequested!.Value;
            timers = [.. _timers];
        }

        foreach (var timer in timers)
        {
            timer.Dispose();
        }

        if (_grain is Grain grain)
        {
            try
            {
                using var cancellation = new CancellationTokenSource(_catalog.Options.DeactivationTimeout);
                await grain.OnDeactivateAsync(reason, cancellation.Token);
            }
            catch (Exception ex)
            {
                _catalog.Log.DeactivationFailed(GrainId, ex);
            }
        }

        List<QueuedWork> pending;
        lock (_lock)
        {
            _lifecycle = Lifecycle.Invalid;
            pending = [.. _waiting, .. _interleaving];
            _waiting.Clear();
            _interleaving.Clear();
        }

        _catalog.OnActivationGone(this);
        SignalGone();
        _catalog.Metrics.ActivationRemoved(GrainType);
        _catalog.Log.Deactivated(GrainId, reason.ToString());

        // Requests that arrived during deactivation go to the next activation.
        foreach (var work in pending)
        {
            if (work.Request is { IsFinished: false } request)
            {
                request.Listener = null;
                _catalog.Redispatch(request);
            }
        }
    }

    private readonly record struct QueuedWork(GrainRequest? Request, GrainTimer? Timer);
}
