using Chat.Runtime.Activation;

namespace Chat.Runtime.Timers;

/// <summary>A timer whose callbacks are turns of its grain.</summary>
public interface IGrainTimer : IDisposable
{
    /// <summary>Changes when the timer next fires and its period.</summary>
    void Change(TimeSpan dueTime, TimeSpan period);
}

/// <summary>Options of <see cref="IGrainContext.RegisterGrainTimer"/>.</summary>
public sealed record GrainTimerCreationOptions
{
    /// <summary>Delay before the first tick.</summary>
    public TimeSpan DueTime { get; init; }

    /// <summary>Time between the end of one tick and the start of the next; <see cref="Timeout.InfiniteTimeSpan"/> for one shot.</summary>
    public TimeSpan Period { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>The callback may interleave with requests (default: it is an exclusive turn).</summary>
    public bool Interleave { get; init; }

    /// <summary>Ticks count as activity and keep the activation from idle collection.</summary>
    public bool KeepAlive { get; init; }
}

/// <summary>
/// The timer of one activation. A tick does not run the callback; it queues a turn, and the next
/// tick is armed only after that turn ends, so ticks never pile up or overlap.
/// </summary>
internal sealed class GrainTimer : IGrainTimer
{
    private readonly ActivationData _activation;
    private readonly Func<CancellationToken, Task> _callback;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _disposed = new();
    private TimeSpan _period;

    public GrainTimer(ActivationData activation, TimeProvider time, Func<CancellationToken, Task> callback, GrainTimerCreationOptions options)
    {
        _activation = activation;
        _callback = callback;
        _period = options.Period;
        Options = options;
        _timer = time.CreateTimer(static s => ((GrainTimer)s!).OnTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(options.DueTime, Timeout.InfiniteTimeSpan);
    }

    public GrainTimerCreationOptions Options { get; }

    public bool IsDisposed => _disposed.IsCancellationRequested;

    public void Change(TimeSpan dueTime, TimeSpan period)
    {
        if (IsDisposed)
        {
            throw new ObjectDisposedException(nameof(GrainTimer));
        }

        _period = period;
        _timer.Change(dueTime, Timeout.InfiniteTimeSpan);
    }

    private void OnTick()
    {
        if (!IsDisposed)
        {
            _activation.EnqueueTimerTick(this);
        }
    }

    /// <summary>Runs the callback; called by the activation as a turn.</summary>
    internal Task RunAsync()
    {
        if (IsDisposed)
        {
            return Task.CompletedTask;
        }

        return _callback(_disposed.Token);
    }

    /// <summary>Arms the next tick once a turn ends.</summary>
    internal void OnTurnCompleted()
    {
        if (!IsDisposed && _period != Timeout.InfiniteTimeSpan)
        {
            try
            {
                _timer.Change(_period, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Disposed concurrently: nothing to arm.
            }
        }
    }

    public void Dispose()
    {
        if (IsDisposed)
        {
            return;
        }

        _disposed.Cancel();
        _timer.Dispose();
        _activation.OnTimerDisposed(this);
    }
}
