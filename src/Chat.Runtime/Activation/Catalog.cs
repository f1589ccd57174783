using System.Collections.Concurrent;
using Chat.Runtime.Diagnostics;
using Chat.Runtime.Hosting;
using Chat.Runtime.Invocation;
using Microsoft.Extensions.Options;

namespace Chat.Runtime.Activation;

/// <summary>
/// The activations of this silo, keyed by grain id. Creates an activation on a grain's first call,
/// collects idle ones, expires overdue requests, and deactivates everything on shutdown.
/// </summary>
internal sealed class Catalog : IAsyncDisposable
{
    private readonly ConcurrentDictionary<GrainId, ActivationData> _activations = new();
    private readonly GrainClassRegistry _classes;
    private readonly Lazy<IGrainFactory> _grainFactory;
    private readonly ITimer _collectionTimer;
    private readonly ITimer _timeoutTimer;
    private readonly TimeSpan _collectionAge;
    private readonly TimeProvider _time;
    private Action<GrainRequest>? _redispatch;

    public Catalog(
        GrainClassRegistry classes,
        IServiceProvider services,
        TimeProvider time,
        IOptions<ActivationOptions> activationOptions,
        IOptions<MessagingOptions> messagingOptions,
        RuntimeLog log,
        RuntimeMetrics metrics,
        Lazy<IGrainFactory> grainFactory,
        IDeepCopier copier)
    {
        Copier = copier;
        _classes = classes;
        Services = services;
        _time = time;
        Options = activationOptions.Value;
        Log = log;
        Metrics = metrics;
        _grainFactory = grainFactory;
        _collectionAge = Options.CollectionAge;
        metrics.QueueLengthProvider = () => _activations.Values.Sum(a => (long)a.QueueLength);
        _collectionTimer = time.CreateTimer(static s => ((Catalog)s!).CollectIdle(), this, Options.CollectionQuantum, Options.CollectionQuantum);
        var check = messagingOptions.Value.TimeoutCheckInterval;
        _timeoutTimer = time.CreateTimer(static s => ((Catalog)s!).ExpireOverdueRequests(), this, check, check);
    }

    public TimeProvider Time => _time;

    public IDeepCopier Copier { get; }

    public IServiceProvider Services { get; }

    public ActivationOptions Options { get; }

    public RuntimeLog Log { get; }

    public RuntimeMetrics Metrics { get; }

    public IGrainFactory GrainFactory => _grainFactory.Value;

    public int Count => _activations.Count;

    public IEnumerable<ActivationData> Activations => _activations.Values;

    /// <summary>This silo's id in call chains (0 until it has an address, and in tests without one).</summary>
    public long SelfChainId { get; private set; }

    /// <summary>The chain of a turn that serves no other silo's work: just this silo (shared, never changed).</summary>
    public long[]? SelfOnlyChain { get; private set; }

    /// <summary>Names this silo in the call chains of its grains' turns.</summary>
    public void SetSelf(long chainId)
    {
        SelfChainId = chainId;
        SelfOnlyChain = [chainId];
    }

    /// <summary>
    /// Runs before each activation here starts (set by a clustered silo: waits until no other silo
    /// still runs the grain).
    /// </summary>
    public Func<GrainId, Task>? BeforeActivate { get; set; }

    public Task BeforeActivateAsync(GrainId grainId) => BeforeActivate?.Invoke(grainId) ?? Task.CompletedTask;

    /// <summary>
    /// Deactivates this silo's activation of a grain, if there is one, and waits until it is gone
    /// (at most <paramref name="timeout"/>: a turn that does not end must not stall the caller forever).
    /// </summary>
    public async Task ReleaseAsync(GrainId grainId, DeactivationReason reason, TimeSpan timeout)
    {
        if (!_activations.TryGetValue(grainId, out var activation))
        {
            return;
        }

        activation.Deactivate(reason);
        try
        {
            await activation.WhenGone.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.ReleaseTimedOut(grainId, timeout);
        }
    }

    /// <summary>Where requests go when their activation deactivated before running them.</summary>
    public void SetRedispatch(Action<GrainRequest> redispatch) => _redispatch = redispatch;

    /// <summary>Queues a request on the target's activation, creating it when needed.</summary>
    public void Enqueue(GrainRequest request)
    {
        var grainClass = _classes.Find(request.Target.Type);
        if (grainClass is null)
        {
            request.TryFail(new GrainTypeNotFoundException($"No grain class implements grain type '{request.Target.Type}' on this silo."));
            return;
        }

        while (true)
        {
            var activation = _activations.GetOrAdd(
                request.Target,
                static (id, state) => new ActivationData(id, state.grainClass, state.catalog),
                (grainClass, catalog: this));
            if (activation.TryEnqueue(request))
            {
                return;
            }

            // That activation finished deactivating between lookup and enqueue: forget it and look again.
            _activations.TryRemove(KeyValuePair.Create(request.Target, activation));
        }
    }

    /// <summary>True when an activation of the grain is present on this silo (any state).</summary>
    public bool Contains(GrainId grainId) => _activations.ContainsKey(grainId);

    public void Redispatch(GrainRequest request)
    {
        if (_redispatch is { } redispatch)
        {
            redispatch(request);
        }
        else
        {
            Enqueue(request);
        }
    }

    public void OnActivationGone(ActivationData activation) =>
        _activations.TryRemove(KeyValuePair.Create(activation.GrainId, activation));

    /// <summary>Deactivates the activations whose grain matches <paramref name="predicate"/>.</summary>
    public void DeactivateWhere(Func<GrainId, bool> predicate, DeactivationReason reason)
    {
        foreach (var activation in _activations.Values)
        {
            if (predicate(activation.GrainId))
            {
                activation.Deactivate(reason);
            }
        }
    }

    /// <summary>Drops every activation without deactivating it (a crash, for tests).</summary>
    public void Abort()
    {
        foreach (var activation in _activations.Values)
        {
            activation.Abort();
        }

        _activations.Clear();
    }

    /// <summary>Asks every activation to deactivate and waits until all are gone or the timeout passes.</summary>
    public async Task DeactivateAllAsync(DeactivationReason reason, TimeSpan timeout, CancellationToken cancellationToken)
    {
        foreach (var activation in _activations.Values)
        {
            activation.Deactivate(reason);
        }

        // Grains finishing their last turn may call grains here that are already gone: those come
        // back (a leaving silo still runs its own calls) and are deactivated once idle, not at
        // once, or their calls would bounce between new activations until the timeout.
        var deadline = DateTime.UtcNow + timeout;
        while (!_activations.IsEmpty && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            foreach (var activation in _activations.Values)
            {
                activation.DeactivateIfIdle(reason);
            }

            await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
        }

        if (!_activations.IsEmpty)
        {
            Log.ActivationsLeftAtShutdown(_activations.Count);
        }
    }

    public static GrainCallTimeoutException TimeoutException(GrainRequest request) =>
        new($"{request.InterfaceName}.{request.MethodName} on {request.Target} did not complete within its timeout.");

    private void CollectIdle()
    {
        var now = _time.GetTimestamp();
        foreach (var activation in _activations.Values)
        {
            var age = _classes.Find(activation.GrainType)?.CollectionAge ?? _collectionAge;
            activation.CollectIfIdle(now, age);
        }
    }

    private void ExpireOverdueRequests()
    {
        var now = _time.GetTimestamp();
        var expired = new List<GrainRequest>();
        foreach (var activation in _activations.Values)
        {
            activation.ExpireRequests(now, expired);
        }

        foreach (var request in expired)
        {
            request.TryFail(TimeoutException(request));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _collectionTimer.DisposeAsync().ConfigureAwait(false);
        await _timeoutTimer.DisposeAsync().ConfigureAwait(false);
    }
}
