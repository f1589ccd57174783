using Chat.Runtime.SiloProcess;
using Chat.Runtime.Hosting;
using Chat.Runtime.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Runtime.Tests.Cluster;

[Collection(SharedClusterCollection.Name)]
public sealed class ClusterCallTests(SharedClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TestClusters.Timeout;

    private Testing.TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Grains_called_from_the_client_run_on_both_silos()
    {
        var keys = Enumerable.Range(0, 40).Select(i => $"spread-{i}").ToArray();
        var places = await Task.WhenAll(keys.Select(k => Cluster.Client.GetGrain<IAppendGrain>(k).WhereAmI())).WaitAsync(Timeout);
        Assert.Equal(2, places.Distinct().Count());
        Assert.All(Cluster.Silos, s => Assert.True(s.State.ActivationCount > 0));
    }

    [Fact]
    public async Task A_grain_is_reached_at_its_owner_from_every_silo_and_the_client()
    {
        var grain = Cluster.Client.GetGrain<IAppendGrain>("everywhere");
        var fromClient = await grain.WhereAmI().WaitAsync(Timeout);
        foreach (var silo in Cluster.Silos)
        {
            Assert.Equal(fromClient, await silo.GrainFactory.GetGrain<IAppendGrain>("everywhere").WhereAmI().WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task No_grain_runs_two_requests_at_once_across_the_cluster()
    {
        var key = Guid.NewGuid();
        // Callers on the client and on both silos hit the same grain.
        var factories = Cluster.Silos.Select(s => s.GrainFactory).Append(Cluster.Client).ToArray();
        var results = await Task.WhenAll(Enumerable.Range(0, 90).Select(i => factories[i % factories.Length].GetGrain<ICounterGrain>(key).SlowIncrement(1)))
            .WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(1, 90), results.Order());
        Assert.Equal(1, await Cluster.Client.GetGrain<ICounterGrain>(key).MaxConcurrency().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Domain_exceptions_cross_the_network_as_themselves()
    {
        var ex = await Assert.ThrowsAsync<TestDomainException>(() => Cluster.Client.GetGrain<ISchedulingGrain>("remote-throw").ThrowDomain("far away").WaitAsync(Timeout));
        Assert.Equal("far away", ex.Message);
        Assert.Equal("TEST_CODE", ex.Code);
    }

    [Fact]
    public async Task Arguments_and_results_of_every_shape_cross_the_network()
    {
        var counter = Cluster.Client.GetGrain<ICounterGrain>(Guid.NewGuid());
        await counter.Increment().WaitAsync(Timeout);
        Assert.Equal(11, await counter.Add(10).WaitAsync(Timeout));
        Assert.Equal(11, await counter.Get().AsTask().WaitAsync(Timeout));
        await counter.Reset().AsTask().WaitAsync(Timeout);
        var big = new string('x', 2_000_000);
        Assert.Equal(big, await counter.Echo(big).WaitAsync(Timeout));
        var copy = Cluster.Client.GetGrain<ICopyGrain>(7);
        var payload = await copy.ReturnMutable(new MutablePayload { Items = [1, 2, 3] }).WaitAsync(Timeout);
        Assert.Equal([1, 2, 3], payload.Items);
        Assert.Equal(-1, await copy.Count(default).WaitAsync(Timeout));
        Assert.Equal(3, await copy.Count([1, 2, 3]).WaitAsync(Timeout));
        Assert.Equal(new byte[] { 0, 7, 255 }, (await copy.Bytes([0, 7, 255]).WaitAsync(Timeout)).ToArray());
        var passed = await copy.PassReference(counter).WaitAsync(Timeout);
        Assert.Equal(1, await passed.Add(1).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Thousands_of_pipelined_calls_complete_in_order_per_caller()
    {
        var grain = Cluster.Client.GetGrain<ISchedulingGrain>("pipelined-" + Guid.NewGuid().ToString("N"));
        var calls = Enumerable.Range(0, 3000).Select(i => grain.Record(i)).ToArray();
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(0, 3000), await grain.Recorded().WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_remote_call_that_hangs_times_out()
    {
        var grain = Cluster.Client.GetGrain<ISchedulingGrain>("remote-hang");
        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => grain.HangWithShortTimeout("never-" + Guid.NewGuid()).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_one_way_call_reaches_a_remote_grain()
    {
        var gate = "remote-oneway-" + Guid.NewGuid();
        var grain = Cluster.Client.GetGrain<ISchedulingGrain>(gate);
        var call = grain.FireAndForget(gate);
        Assert.True(call.IsCompletedSuccessfully);
        fixture.Probe.Gate(gate).SetResult();
        await Infrastructure.Probe.WaitUntilAsync(() => fixture.Probe.Events.Contains($"{gate}:one-way-done"));
    }

    [Fact]
    public void Silos_and_the_client_agree_on_the_view()
    {
        var client = Cluster.ClientServices.GetRequiredService<ClusterClientState>();
        Assert.True(client.IsConnected);
        Assert.Equal(2, client.View.ActiveSilos.Count);
        Assert.All(Cluster.Silos, s => Assert.Equal(client.View.ActiveSilos, s.State.View.ActiveSilos));
    }
}
