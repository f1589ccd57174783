using Chat.Runtime.Activation;
using Chat.Runtime.Invocation;
using Chat.Runtime.Membership;
using Chat.Runtime.Messaging;

namespace Chat.Runtime.Placement;

/// <summary>
/// Decides where each request runs. Local callers' requests go to the owner in this node's view
/// (the catalog when that is us, a connection otherwise). A request arriving from another node
/// runs here only if we own the grain in our view; if the sender's view is newer we catch up
/// first, and if ours is newer we answer "moved" so the sender catches up and resends. Requests
/// answered "moved" or "unavailable" were not executed, so resending them is safe.
/// </summary>
internal sealed class GrainCallRouter
{
    private const int MaxHops = 10;

    private readonly Catalog? _catalog;
    private readonly MessageCenter _messages;
    private readonly MembershipViewKeeper _keeper;
    private readonly SiloAddress? _self;
    private volatile bool _accepting;

    public GrainCallRouter(Catalog? catalog, MessageCenter messages, MembershipViewKeeper keeper, SiloAddress? self)
    {
        _catalog = catalog;
        _messages = messages;
        _keeper = keeper;
        _self = self;
        messages.OnRerouteNeeded = Reroute;
        if (catalog is not null)
        {
            messages.OnRequest = OnIncoming;
            catalog.SetRedispatch(Route);
        }
    }

    /// <summary>Whether this silo takes requests for grains it owns.</summary>
    public bool Accepting
    {
        get => _accepting;
        set => _accepting = value;
    }

    /// <summary>
    /// Whether calls made in this process may still run grains here when <see cref="Accepting"/> is
    /// off: true while leaving gracefully (the grains being deactivated finish their work, which may
    /// call other grains here; nobody else activates them before we say we are dead), false once
    /// fenced (others may already run them).
    /// </summary>
    public bool AcceptingLocal { get; set; } = true;

    /// <summary>
    /// While leaving, a request made on behalf of one of our own grain turns, even by way of other
    /// silos, still runs here: refusing it would make that turn, and with it our deactivation, wait
    /// for a view in which we are gone, which only comes after the deactivation. Others activate our
    /// grains only once we are dead, and we stop this (<see cref="AcceptingLocal"/>) before that.
    /// </summary>
    private bool FinishesOwnWork(GrainRequest request) => AcceptingLocal && CallChain.Contains(request.Chain, _catalog?.SelfChainId ?? 0);

    /// <summary>Answers <see cref="ISiloControl"/> requests addressed to this silo.</summary>
    public ISiloControl? Control { get; set; }

    /// <summary>Routes a request made in this process.</summary>
    public void Route(GrainRequest request)
    {
        var view = _keeper.Current;
        if (request.Target.Type == SiloControl.GrainType)
        {
            RouteToSilo(request, view);
            return;
        }

        SiloAddress owner;
        try
        {
            owner = PlacementDirector.GetOwner(request.Target, view);
        }
        catch (SiloUnavailableException ex)
        {
            request.TryFail(ex);
            return;
        }

        if (_self is { } self && owner == self)
        {
            var remote = request.ResponseSink is MessageCenter.IRemoteResponseSink;
            if (_accepting || FinishesOwnWork(request) || (AcceptingLocal && !remote && !request.IsOneWay))
            {
                _catalog!.Enqueue(request);
            }
            else if (remote)
            {
                // A remote caller's request that was queued on a grain we are letting go: the
                // caller retries it once the view moves the grain.
                request.TryFail(new RerouteException(ResponseStatus.Unavailable, view.Version));
            }
            else
            {
                // Our own view still names us while we leave: wait for the view that does not.
                _ = RerouteAsync(request, view.Version + 1);
            }

            return;
        }

        _messages.SendRequest(owner, request, view.Version, view.LeavingSilos.Count != 0 && view.LeavingSilos.Contains(owner));
    }

    private void OnIncoming(IncomingRequest incoming)
    {
        var view = _keeper.Current;
        if (incoming.Request.Target.Type == SiloControl.GrainType)
        {
            RouteToSilo(incoming.Request, view);
            return;
        }

        if (!_accepting && !FinishesOwnWork(incoming.Request))
        {
            if (incoming.Request.IsOneWay)
            {
                // A one-way sender never hears a refusal: pass the request on ourselves once the
                // view names the grain's next owner.
                _ = RerouteAsync(incoming.Request, view.Version + 1);
                return;
            }

            incoming.Request.TryFail(new RerouteException(ResponseStatus.Unavailable, view.Version));
            return;
        }

        if (incoming.SenderViewVersion > view.Version)
        {
            _ = CatchUpThenDispatchAsync(incoming);
            return;
        }

        Dispatch(incoming.Request, view);
    }

    /// <summary>A request for one silo, not for a grain's owner: it runs there whatever the view says.</summary>
    private void RouteToSilo(GrainRequest request, ClusterView view)
    {
        SiloAddress target;
        try
        {
            target = SiloAddress.Parse(request.Target.Key);
        }
        catch (FormatException ex)
        {
            request.TryFail(ex);
            return;
        }

        if (target != _self)
        {
            _messages.SendRequest(target, request, view.Version);
        }
        else if (Control is { } control)
        {
            request.Execute(control);
        }
        else
        {
            request.TryFail(new SiloUnavailableException("This silo does not answer control requests yet."));
        }
    }

    private async Task CatchUpThenDispatchAsync(IncomingRequest incoming)
    {
        var view = await _keeper.WaitForVersionAsync(incoming.SenderViewVersion, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        Dispatch(incoming.Request, view);
    }

    private void Dispatch(GrainRequest request, ClusterView view)
    {
        SiloAddress owner;
        try
        {
            owner = PlacementDirector.GetOwner(request.Target, view);
        }
        catch (SiloUnavailableException)
        {
            request.TryFail(new RerouteException(ResponseStatus.Unavailable, view.Version));
            return;
        }

        if (owner == _self && (_accepting || FinishesOwnWork(request)))
        {
            _catalog!.Enqueue(request);
        }
        else
        {
            request.TryFail(new RerouteException(ResponseStatus.Moved, view.Version));
        }
    }

    /// <summary>A request came back "moved"/"unavailable" with the receiver's view version.</summary>
    public void Reroute(GrainRequest request, long receiverViewVersion) =>
        _ = RerouteAsync(request, Math.Max(receiverViewVersion, _keeper.Current.Version + 1));

    private async Task RerouteAsync(GrainRequest request, long minimumVersion)
    {
        if (++request.Hops > MaxHops)
        {
            request.TryFail(new SiloUnavailableException($"{request} could not find its grain's owner (membership is changing)."));
            return;
        }

        // Either a newer view exists (wait for it), or the target is leaving and its new status is
        // about to be published: give it a moment, growing with each hop.
        await _keeper.WaitForVersionAsync(minimumVersion, TimeSpan.FromMilliseconds(200 * request.Hops)).ConfigureAwait(false);
        if (request.IsFinished)
        {
            return;
        }

        Route(request);
    }
}
