using Chat.Runtime.Activation;
using Chat.Runtime.Invocation;
using Chat.Runtime.Membership;
using Chat.Runtime.Messaging;
using Chat.Runtime.Placement;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Runtime.Hosting;

/// <summary>
/// The clustered part of a silo: its listener, connections, membership and routing, started after
/// the silo's startup tasks and stopped in the order that lets clients move without failed calls.
/// </summary>
internal sealed class SiloCluster : IAsyncDisposable
{
    private readonly Catalog _catalog;
    private readonly ClusterOptions _options;
    private readonly SiloOptions _silo;
    private readonly ILoggerFactory _loggers;
    private readonly RuntimeServicesAccessor _runtime;
    private readonly RuntimeDataSource _database;
    private readonly TimeProvider _time;
    private readonly MessagingOptions _messaging;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly RequestFactoryRegistry _requestFactories = new();
    private MessageCenter? _messages;
    private SiloListener? _listener;
    private MembershipViewKeeper? _keeper;
    private SiloMembershipService? _membership;
    private GrainCallRouter? _router;
    private ActivationHandoff? _handoff;
    private int _disposed;
    private readonly Streams.StreamDelivery _streams;
    private readonly Diagnostics.RuntimeMetrics _metrics;

    public SiloCluster(
        Catalog catalog,
        GrainClassRegistry classes,
        IOptions<ClusterOptions> options,
        IOptions<SiloOptions> silo,
        IOptions<MessagingOptions> messaging,
        ILoggerFactory loggers,
        RuntimeServicesAccessor runtime,
        RuntimeDataSource database,
        TimeProvider time,
        IServiceProvider services,
        Streams.StreamDelivery streams,
        Diagnostics.RuntimeMetrics metrics)
    {
        _metrics = metrics;
        _streams = streams;
        _catalog = catalog;
        _options = options.Value;
        _silo = silo.Value;
        _messaging = messaging.Value;
        _loggers = loggers;
        _runtime = runtime;
        _database = database;
        _time = time;
        _lifetime = services.GetService(typeof(IHostApplicationLifetime)) as IHostApplicationLifetime;
        _requestFactories.AddInterfaceAssemblies(classes.Classes.Select(c => c.Implementation));
    }

    public SiloAddress? Address { get; private set; }

    public ClusterView View => _keeper?.Current ?? ClusterView.Empty;

    public bool IsActive => _router?.Accepting == true && _membership?.IsFenced == false;

    public bool IsFenced => _membership?.IsFenced == true;

    public FailureDetectorStatus? FailureDetector => _membership?.DetectorStatus;

    /// <summary>Raised when the silo fences itself (declared dead while alive).</summary>
    public event Action? Fenced;

    public void Route(Invocation.GrainRequest request) => _router!.Route(request);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var generation = DateTime.UtcNow.Ticks;
        var hello = new HelloMessage("silo", _silo.ClusterId, null, null);
        _messages = new MessageCenter(hello, _runtime.SerializerOptions, _time, _loggers.CreateLogger<MessageCenter>(), _messaging.TimeoutCheckInterval, _options.SendQueueCapacity)
        {
            RequestFactory = _requestFactories.Create,
        };
        _listener = new SiloListener(_options.Port, _messages);
        Address = new SiloAddress(_options.AdvertisedHost, _listener.Port, generation);
        _catalog.SetSelf(CallChain.IdOf(Address.Value));
        hello = hello with { SiloAddress = Address.ToString() };
        _messages.UpdateHello(hello);

        var table = new MembershipTable(_database.DataSource, _silo.ClusterId);
        _keeper = new MembershipViewKeeper(table, _database.DataSource, _options.ProbeInterval, _loggers.CreateLogger<MembershipViewKeeper>());
        _membership = new SiloMembershipService(Address.Value, _silo.Name, table, _keeper, _options, _loggers.CreateLogger<SiloMembershipService>());
        _router = new GrainCallRouter(_catalog, _messages, _keeper, Address)
        {
            Control = new SiloControl(_catalog, _keeper, Address.Value),
        };
        var handoffTimeout = TimeSpan.FromTicks(Math.Min((_messaging.ResponseTimeout / 2).Ticks, _catalog.Options.DeactivationTimeout.Ticks));
        _handoff = new ActivationHandoff(_keeper, Address.Value, () => _catalog.GrainFactory, _time, _catalog.Options.DeactivationTimeout + _messaging.ResponseTimeout, handoffTimeout, _catalog.Log);
        _catalog.BeforeActivate = _handoff.BeforeActivateAsync;
        _keeper.ViewChanged += OnViewChanged;
        _membership.Fenced += OnFenced;
        _streams.Attach(_messages, Address.Value);
        _metrics.MembershipVersionProvider = () => _keeper.Current.Version;
        _metrics.ActiveSilosProvider = () => _keeper.Current.ActiveSilos.Count;
        _keeper.ReadFailed += _ => _metrics.DatabaseError("membership-read");
        _membership.DatabaseError += _metrics.DatabaseError;

        _listener.Start();
        await _keeper.StartAsync(cancellationToken).ConfigureAwait(false);
        _router.Accepting = true;
        await _membership.JoinAsync(cancellationToken).ConfigureAwait(false);
    }

    private void OnViewChanged(ClusterView old, ClusterView view)
    {
        foreach (var member in view.Members)
        {
            if (member.Status == SiloStatus.Dead && old.StatusOf(member.Address) is not (null or SiloStatus.Dead))
            {
                _messages!.DisconnectSilo(member.Address, "declared dead");
            }
        }

        if (!view.PlacementSilos.SequenceEqual(old.PlacementSilos))
        {
            _handoff?.OnPlacementChanged();
        }

        // Stream grains may have moved or restarted: reattach our subscriptions now, not at the next renewal.
        _ = _streams.Local.RenewAllAsync();

        // Grains this silo no longer owns move to their new owner on their next call.
        if (Address is { } self)
        {
            _catalog.DeactivateWhere(
                id => view.PlacementSilos.Count > 0 && PlacementDirector.GetOwner(id, view) != self,
                new DeactivationReason(DeactivationReasonCode.PlacementChanged, $"owned by another silo in view {view.Version}"));
        }
    }

    private void OnFenced()
    {
        _router!.Accepting = false;
        _router.AcceptingLocal = false;
        Fenced?.Invoke();
        _lifetime?.StopApplication();
    }

    /// <summary>First half of a graceful stop: no new grains here, and callers go elsewhere.</summary>
    public async Task BeginLeaveAsync(CancellationToken cancellationToken)
    {
        if (_membership is null || _membership.IsFenced)
        {
            return;
        }

        // Refuse new work before anyone can see us leaving: whatever a caller sends to a silo it
        // knows is leaving is then guaranteed not to run, so it can always be re-routed.
        _router!.Accepting = false;
        await _membership.BeginLeaveAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Second half: after the grains are gone, answer what is in flight and mark ourselves dead.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        if (_membership is not null && !_membership.IsFenced)
        {
            // Our grains are gone and we refuse everything, so saying we are dead now is safe, and
            // it is what moves callers on: until then they keep re-trying our grains here. Then
            // keep answering (refusals, our own calls' responses) until the traffic stops, so no
            // caller loses a request to a closed connection. From the moment we say so, others may
            // activate our grains: nothing may run here any more.
            _router!.AcceptingLocal = false;
            await _membership.LeaveAsync(cancellationToken).ConfigureAwait(false);
            await _messages!.DrainAsync(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
    }

    /// <summary>Abrupt stop: no goodbye, sockets dropped, heartbeats stop (tests' kill).</summary>
    public void Kill()
    {
        _membership?.Kill();
        if (_router is not null)
        {
            _router.Accepting = false;
            _router.AcceptingLocal = false;
        }

        _messages?.Abort();
        _ = _listener?.DisposeAsync().AsTask();
        _ = _keeper?.DisposeAsync().AsTask();
    }

    /// <summary>Freezes heartbeats and failure detection (tests' stand-in for a long pause).</summary>
    public void Pause(bool paused) => _membership?.Pause(paused);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }

        if (_membership is not null)
        {
            await _membership.DisposeAsync().ConfigureAwait(false);
        }

        if (_keeper is not null)
        {
            await _keeper.DisposeAsync().ConfigureAwait(false);
        }

        if (_messages is not null)
        {
            await _messages.DisposeAsync().ConfigureAwait(false);
        }
    }
}
