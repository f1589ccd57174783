using Chat.Runtime.Activation;
using Chat.Runtime.Diagnostics;
using Chat.Runtime.Hosting;
using Microsoft.Extensions.Options;

namespace Chat.Runtime.Invocation;

/// <summary>
/// Sends the calls made inside a silo (by grains and by co-hosted code): stamps the deadline,
/// copies arguments and hands the request to the catalog.
/// </summary>
internal sealed class SiloRuntimeClient : IGrainCallInvoker, IClusterClient
{
    private readonly Catalog _catalog;
    private readonly IDeepCopier _copier;
    private readonly TimeProvider _time;
    private readonly TimeSpan _defaultTimeout;
    private readonly GrainProxyFactory _proxies;
    private readonly OneWayFailureLogger _oneWaySink;
    private volatile bool _stopped;

    private readonly SiloCluster? _cluster;

    public SiloRuntimeClient(Catalog catalog, IDeepCopier copier, TimeProvider time, IOptions<MessagingOptions> messaging, RuntimeLog log, SiloCluster? cluster = null)
    {
        _catalog = catalog;
        _cluster = cluster;
        _copier = copier;
        _time = time;
        _defaultTimeout = messaging.Value.ResponseTimeout;
        _proxies = new GrainProxyFactory(this);
        _oneWaySink = new OneWayFailureLogger(log);
    }

    public IGrainFactory GrainFactory => this;

    /// <summary>After this, calls fail with <see cref="SiloUnavailableException"/>.</summary>
    public void Stop() => _stopped = true;

    public void Send(GrainReference target, GrainRequest request)
    {
        request.Target = target.GrainId;
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
            request.TryFail(new SiloUnavailableException("The silo is stopped."));
            return;
        }

        try
        {
            request.CopyArguments(_copier);
        }
        catch (Exception ex)
        {
            request.TryFail(ex);
            return;
        }

        if (_cluster is not null)
        {
            _cluster.Route(request);
        }
        else
        {
            _catalog.Enqueue(request);
        }
    }

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
