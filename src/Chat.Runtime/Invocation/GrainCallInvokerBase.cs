using Chat.Runtime.Diagnostics;

namespace Chat.Runtime.Invocation;

/// <summary>
/// What every sender of grain calls does before routing — stamp the send time and deadline, give
/// one-way calls a sink that logs their failures, refuse calls once stopped — plus the grain
/// factory. Silos (co-hosted callers) and cluster clients differ only in <see cref="Dispatch"/>.
/// </summary>
internal abstract class GrainCallInvokerBase : IGrainCallInvoker, IClusterClient
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _defaultTimeout;
    private readonly GrainProxyFactory _proxies;
    private readonly OneWayFailureLogger _oneWaySink;
    private volatile bool _stopped;

    protected GrainCallInvokerBase(TimeProvider time, TimeSpan defaultTimeout, RuntimeLog log)
    {
        _time = time;
        _defaultTimeout = defaultTimeout;
        _proxies = new GrainProxyFactory(this);
        _oneWaySink = new OneWayFailureLogger(log);
    }

    public IGrainFactory GrainFactory => this;

    protected bool IsStopped => _stopped;

    /// <summary>After this, calls fail with <see cref="SiloUnavailableException"/>.</summary>
    public void Stop() => _stopped = true;

    public void Send(GrainReference target, GrainRequest request)
    {
        request.Target = target.GrainId;
        request.Chain = CallChain.Current;
        var now = _time.GetTimestamp();
        request.SentTimestamp = now;
        var timeout = GrainCallTimeout.Current ?? request.Timeout ?? _defaultTimeout;
        request.DeadlineTimestamp = now + Timestamps.FromTimeSpan(_time, timeout);
        if (request.IsOneWay)
        {
            request.ResponseSink = _oneWaySink;
        }

        if (_stopped)
        {
            request.TryFail(new SiloUnavailableException("This process no longer sends grain calls (it is stopping)."));
            return;
        }

        Dispatch(request);
    }

    /// <summary>Sends a stamped request on its way.</summary>
    protected abstract void Dispatch(GrainRequest request);

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey)
        where TGrainInterface : IGrainWithGuidKey => _proxies.GetGrain<TGrainInterface>(primaryKey);

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey)
        where TGrainInterface : IGrainWithIntegerKey => _proxies.GetGrain<TGrainInterface>(primaryKey);

    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey)
        where TGrainInterface : IGrainWithStringKey => _proxies.GetGrain<TGrainInterface>(primaryKey);

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension)
        where TGrainInterface : IGrainWithGuidCompoundKey => _proxies.GetGrain<TGrainInterface>(primaryKey, keyExtension);

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension)
        where TGrainInterface : IGrainWithIntegerCompoundKey => _proxies.GetGrain<TGrainInterface>(primaryKey, keyExtension);

    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId)
        where TGrainInterface : IAddressable => _proxies.GetGrain<TGrainInterface>(grainId);

    public IAddressable GetGrain(Type grainInterface, GrainId grainId) => _proxies.GetGrain(grainInterface, grainId);

    public string GetGrainType(Type grainInterface) => _proxies.GetGrainType(grainInterface);

    /// <summary>Nobody awaits a one-way call, so its failure can only be logged.</summary>
    private sealed class OneWayFailureLogger(RuntimeLog log) : IResponseSink
    {
        public void OnResult<T>(GrainRequest<T> request, T result)
        {
        }

        public void OnException(GrainRequest request, Exception exception) => log.OneWayCallFailed(request.ToString(), exception);
    }
}
