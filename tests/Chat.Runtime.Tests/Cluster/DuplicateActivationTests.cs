using Chat.Runtime.SiloProcess;
using Chat.Runtime.Activation;
using Chat.Runtime.Invocation;
using Chat.Runtime.Placement;
using Chat.Runtime.Tests.Grains;
using Chat.Runtime.Tests.Infrastructure;
using Chat.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Runtime.Tests.Cluster;

/// <summary>
/// During a view change two silos may briefly both activate a grain (a caller with a stale view, or
/// a previous owner that did not answer the hand-over in time). These tests build that situation on
/// purpose and show that storage concurrency makes it harmless.
/// </summary>
public sealed class DuplicateActivationTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly TimeSpan Timeout = TestClusters.Timeout;

    /// <summary>Sends straight into one silo's catalog, as a caller with a stale view would.</summary>
    private sealed class CatalogInvoker(Catalog catalog, IGrainFactory factory) : IGrainCallInvoker
    {
        public IGrainFactory GrainFactory => factory;

        public void Send(GrainReference target, GrainRequest request)
        {
            request.Target = target.GrainId;
            request.DeadlineTimestamp = TimeProvider.System.GetTimestamp() + TimeProvider.System.TimestampFrequency * 30;
            catalog.Enqueue(request);
        }
    }

    [Fact]
    public async Task Writes_raced_through_two_activations_are_detected_and_the_caller_retries_on_the_owner()
    {
        await using var cluster = await TestClusters.StartAsync(database.ConnectionString, new Probe());
        var grain = cluster.Client.GetGrain<IAppendGrain>("duplicate-" + Guid.NewGuid().ToString("N"));
        await grain.Append(1).WaitAsync(Timeout);

        var owner = cluster.Silos.Single(s => s.Address == PlacementDirector.GetOwner(grain.GetGrainId(), s.State.View));
        var other = cluster.Silos.Single(s => s != owner);
        var catalog = other.Services.GetRequiredService<Catalog>();
        var stale = new GrainProxyFactory(new CatalogInvoker(catalog, other.GrainFactory)).GetGrain<IAppendGrain>(grain.GetGrainId());

        // A second activation on the wrong silo loads the same state...
        Assert.Equal(new long[] { 1 }, await stale.Values().WaitAsync(Timeout));
        Assert.Equal(other.Address.ToString(), await stale.WhereAmI().WaitAsync(Timeout));

        // ...the owner moves the stored version on...
        Assert.Equal(2, await grain.Append(2).WaitAsync(Timeout));

        // ...so the stale activation's write conflicts, fails its caller and deactivates.
        await Assert.ThrowsAsync<InconsistentStateException>(() => stale.Append(3).WaitAsync(Timeout));
        await Probe.WaitUntilAsync(() => !catalog.Contains(grain.GetGrainId()), because: "the stale activation should deactivate after the conflict");

        // The caller retries through normal routing, which lands on the owner: nothing lost, nothing twice.
        Assert.Equal(3, await TestClusters.EventuallyAsync(() => grain.Append(3)));
        Assert.Equal(new long[] { 1, 2, 3 }, await grain.Values().WaitAsync(Timeout));
        Assert.Equal(owner.Address.ToString(), await grain.WhereAmI().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Concurrent_first_writes_through_two_activations_let_exactly_one_win()
    {
        await using var cluster = await TestClusters.StartAsync(database.ConnectionString, new Probe());
        var id = new GrainId("IAppendGrain", "first-write-" + Guid.NewGuid().ToString("N"));
        foreach (var silo in cluster.Silos)
        {
            // Skip the hand-over a new owner asks for (it would deactivate one of the two): this test
            // is about what guards the state when two activations exist anyway.
            silo.Services.GetRequiredService<Catalog>().BeforeActivate = null;
        }

        var proxies = cluster.Silos
            .Select(s => new GrainProxyFactory(new CatalogInvoker(s.Services.GetRequiredService<Catalog>(), s.GrainFactory)).GetGrain<IAppendGrain>(id))
            .ToArray();
        // Both activations exist and have read "nothing stored" before either writes.
        await Task.WhenAll(proxies.Select(p => p.Values())).WaitAsync(Timeout);

        var outcomes = await Task.WhenAll(proxies.Select(async (p, i) =>
        {
            try
            {
                await p.Append(100 + i);
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        })).WaitAsync(Timeout);

        Assert.Equal(1, outcomes.Count(o => o));
        var stored = await cluster.Client.GetGrain<IAppendGrain>(id.Key).Values().WaitAsync(Timeout);
        Assert.Single(stored);
    }
}
