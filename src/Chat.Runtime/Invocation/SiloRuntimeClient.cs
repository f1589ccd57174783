using Chat.Runtime.Activation;
using Chat.Runtime.Diagnostics;
using Chat.Runtime.Hosting;
using Microsoft.Extensions.Options;

namespace Chat.Runtime.Invocation;

/// <summary>
/// Sends the calls made inside a silo (by grains and by co-hosted code): copies the arguments
/// (callers and callees in one process must not share mutable objects), then routes — straight to
/// the catalog when the silo runs alone, by placement when it is clustered.
/// </summary>
internal sealed class SiloRuntimeClient(
    Catalog catalog,
    IDeepCopier copier,
    TimeProvider time,
    IOptions<MessagingOptions> messaging,
    RuntimeLog log,
    SiloCluster? cluster = null) : GrainCallInvokerBase(time, messaging.Value.ResponseTimeout, log)
{
    protected override void Dispatch(GrainRequest request)
    {
        try
        {
            request.CopyArguments(copier);
        }
        catch (Exception ex)
        {
            request.TryFail(ex);
            return;
        }

        if (cluster is not null)
        {
            cluster.Route(request);
        }
        else
        {
            catalog.Enqueue(request);
        }
    }
}
