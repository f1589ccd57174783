using Chat.Runtime.Activation;
using Chat.Runtime.Timers;

namespace Chat.Runtime;

/// <summary>
/// Base class of grain implementations. The runtime constructs a grain (constructor parameters
/// come from dependency injection; <see cref="PersistentStateAttribute"/> parameters get the
/// grain's state), loads its state, calls <see cref="OnActivateAsync"/>, then runs its requests
/// one turn at a time. <see cref="GrainId"/> and the other members are available from
/// <see cref="OnActivateAsync"/> on, not in the constructor (inject <see cref="IGrainContext"/> there).
/// </summary>
public abstract class Grain : IAddressable
{
    private IGrainContext? _context;

    /// <summary>The grain's runtime context.</summary>
    public IGrainContext GrainContext
    {
        get => _context ?? throw new InvalidOperationException("The grain's context is set after construction; inject IGrainContext into the constructor to use it there.");
        internal set => _context = value;
    }

    /// <summary>This grain's id.</summary>
    public GrainId GrainId => GrainContext.GrainId;

    /// <summary>Creates references to other grains.</summary>
    protected IGrainFactory GrainFactory => GrainContext.GrainFactory;

    /// <summary>Called after the state is loaded and before the first request runs. Throwing fails the queued requests.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called when the activation is deactivated (best effort: a crash skips it).</summary>
    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The running request's turn, to end early with <see cref="ReleasableTurn.Release"/>. Call it
    /// before the method's first await (the request is known without any per-call cost only then).
    /// </summary>
    protected ReleasableTurn CurrentTurn() => GrainContext.CaptureCurrentTurn();

    /// <summary>Deactivate after the current turn.</summary>
    protected void DeactivateOnIdle() => GrainContext.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "DeactivateOnIdle"));

    /// <summary>Keep the activation at least this long even if idle.</summary>
    protected void DelayDeactivation(TimeSpan timeSpan) => GrainContext.DelayDeactivation(timeSpan);

    /// <summary>Registers a timer whose callback runs as a turn of this grain; stopped on deactivation.</summary>
    protected IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options) =>
        GrainContext.RegisterGrainTimer(callback, options);

    /// <summary>Registers a timer with a due time and period.</summary>
    protected IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period) =>
        GrainContext.RegisterGrainTimer(callback, new GrainTimerCreationOptions { DueTime = dueTime, Period = period });
}

/// <summary>What the runtime offers one activation.</summary>
public interface IGrainContext
{
    /// <summary>The grain's id.</summary>
    GrainId GrainId { get; }

    /// <summary>The grain instance (once created).</summary>
    object? GrainInstance { get; }

    /// <summary>Creates grain references.</summary>
    IGrainFactory GrainFactory { get; }

    /// <summary>Services of the silo.</summary>
    IServiceProvider ActivationServices { get; }

    /// <summary>Requests deactivation once running requests finish.</summary>
    void Deactivate(DeactivationReason reason);

    /// <summary>Keeps the activation alive at least this long.</summary>
    void DelayDeactivation(TimeSpan timeSpan);

    /// <summary>Registers a grain timer.</summary>
    IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, GrainTimerCreationOptions options);

    /// <summary>The running request's turn (see <see cref="Grain.CurrentTurn"/>); only before the method's first await.</summary>
    ReleasableTurn CaptureCurrentTurn();
}

/// <summary>A running request's turn, captured by <see cref="Grain.CurrentTurn"/>.</summary>
public readonly struct ReleasableTurn
{
    private readonly Activation.ActivationData? _activation;
    private readonly Invocation.GrainRequest? _request;

    internal ReleasableTurn(Activation.ActivationData activation, Invocation.GrainRequest request)
    {
        _activation = activation;
        _request = request;
    }

    /// <summary>
    /// Ends the turn now: the activation may run its next request while the method goes on
    /// awaiting, and the caller gets its answer when the method returns. What the method does
    /// afterwards interleaves with later turns, so it must not read or change the grain's state any
    /// more (wait for work it already started, return a result built before). A released request is
    /// still timed and still expires at its deadline. Releasing twice, or after the method returned,
    /// does nothing.
    /// </summary>
    public void Release()
    {
        if (_activation is null)
        {
            throw new InvalidOperationException("This turn was not captured with Grain.CurrentTurn().");
        }

        _activation.Release(_request!);
    }
}
