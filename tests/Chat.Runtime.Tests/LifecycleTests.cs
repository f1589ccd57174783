using Microsoft.Extensions.DependencyInjection;
using Chat.Runtime.Tests.Grains;
using Chat.Runtime.Tests.Infrastructure;

namespace Chat.Runtime.Tests;

public sealed class LifecycleTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private SingleSilo _silo = null!;

    private Probe Probe => _silo.Probe;

    public async Task InitializeAsync() => _silo = await SingleSilo.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task State_is_loaded_before_OnActivateAsync_which_runs_before_the_first_request()
    {
        var grain = _silo.GrainFactory.GetGrain<ILifecycleGrain>("ordered");
        await grain.WriteNote("hello").WaitAsync(Timeout);
        Assert.Contains("ordered:activate:writes=0:exists=False", Probe.Events);
        await grain.DeactivateSelf().WaitAsync(Timeout);
        await Probe.WaitUntilAsync(() => Probe.Events.Contains("ordered:deactivated"));
        Assert.Equal("hello", await grain.ReadNote().WaitAsync(Timeout));
        Assert.Contains("ordered:activate:writes=1:exists=True", Probe.Events);
    }

    [Fact]
    public async Task A_throwing_activation_fails_every_queued_call_with_its_error()
    {
        var grain = _silo.GrainFactory.GetGrain<ILifecycleGrain>("fail-activation-always");
        var calls = Enumerable.Range(0, 5).Select(_ => grain.ReadNote()).ToArray();
        foreach (var call in calls)
        {
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => call.WaitAsync(Timeout));
            Assert.StartsWith("activation of fail-activation-always failed", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task After_a_failed_activation_the_next_call_tries_a_new_activation()
    {
        var grain = _silo.GrainFactory.GetGrain<ILifecycleGrain>("fail-activation-once");
        await Assert.ThrowsAsync<InvalidOperationException>(() => grain.ReadNote().WaitAsync(Timeout));
        Assert.Null(await grain.ReadNote().WaitAsync(Timeout));
        Assert.Equal(2, Probe.Count("fail-activation-once:attempts"));
    }

    [Fact]
    public async Task DeactivateOnIdle_ends_the_activation_after_the_turn_and_the_next_call_gets_a_new_one()
    {
        var grain = _silo.GrainFactory.GetGrain<ILifecycleGrain>("self");
        var first = await grain.InstanceId().WaitAsync(Timeout);
        await grain.DeactivateSelf().WaitAsync(Timeout);
        await Probe.WaitUntilAsync(() => Probe.Events.Contains("self:deactivate:ApplicationRequested"));
        Assert.NotEqual(first, await grain.InstanceId().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Calls_arriving_during_deactivation_go_to_the_next_activation()
    {
        var grain = _silo.GrainFactory.GetGrain<ILifecycleGrain>("slow-deactivation-1");
        var first = await grain.InstanceId().WaitAsync(Timeout);
        await grain.DeactivateSelf().WaitAsync(Timeout);
        await Probe.WaitUntilAsync(() => Probe.Events.Contains("slow-deactivation-1:deactivate:ApplicationRequested"));
        var during = grain.InstanceId();
        await Task.Delay(100);
        Assert.False(during.IsCompleted, "the old activation must not run it while deactivating");
        Probe.Gate("slow-deactivation-1:deactivate").SetResult();
        var second = await during.WaitAsync(Timeout);
        Assert.NotEqual(first, second);
        Assert.Contains("slow-deactivation-1:deactivated", Probe.Events);
    }

    [Fact]
    public async Task Timer_callbacks_run_as_turns_and_stop_on_deactivation()
    {
        var grain = _silo.GrainFactory.GetGrain<ILifecycleGrain>("timer");
        await grain.StartTimer(5, interleave: false).WaitAsync(Timeout);
        await Probe.WaitUntilAsync(() => Probe.Count("timer:ticks") >= 10);
        var maxima = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => grain.MaxConcurrency())).WaitAsync(Timeout);
        await Probe.WaitUntilAsync(() => Probe.Count("timer:ticks") >= 20);
        Assert.Equal(1, maxima.Max());

        await grain.DeactivateSelf().WaitAsync(Timeout);
        await Probe.WaitUntilAsync(() => Probe.Events.Contains("timer:deactivated"));
        var ticks = Probe.Count("timer:ticks");
        await Task.Delay(200);
        Assert.Equal(ticks, Probe.Count("timer:ticks"));
    }
}

public sealed class IdleCollectionTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly ManualTimeProvider _time = new();
    private SingleSilo _silo = null!;

    private Probe Probe => _silo.Probe;

    public async Task InitializeAsync() => _silo = await SingleSilo.StartAsync(
        services: s => s.AddSingleton<TimeProvider>(_time),
        configuration: new() { ["Chat:Activation:CollectionAgeByType:ICounterGrain"] = "00:05:00" });

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task An_idle_activation_is_collected_after_the_default_fifteen_minutes_and_not_before()
    {
        var grain = _silo.GrainFactory.GetGrain<ILifecycleGrain>("idle");
        var first = await grain.InstanceId().WaitAsync(Timeout);
        _time.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(first, await grain.InstanceId().WaitAsync(Timeout));
        _time.Advance(TimeSpan.FromMinutes(14));
        Assert.DoesNotContain("idle:deactivate:ActivationIdle", Probe.Events);
        _time.Advance(TimeSpan.FromMinutes(2));
        await Probe.WaitUntilAsync(() => Probe.Events.Contains("idle:deactivated"));
        Assert.Contains("idle:deactivate:ActivationIdle", Probe.Events);
        Assert.NotEqual(first, await grain.InstanceId().WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_class_attribute_shortens_the_collection_age()
    {
        await _silo.GrainFactory.GetGrain<IShortLivedGrain>("short").Touch().WaitAsync(Timeout);
        _time.Advance(TimeSpan.FromMinutes(3));
        await Probe.WaitUntilAsync(() => Probe.Events.Contains("short:short-deactivate:ActivationIdle"));
    }

    [Fact]
    public async Task Configuration_sets_a_collection_age_per_grain_type()
    {
        var catalog = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Activation.Catalog>(_silo.Services);
        var grain = _silo.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid());
        await grain.Increment().WaitAsync(Timeout);
        Assert.True(catalog.Contains(grain.GetGrainId()));
        _time.Advance(TimeSpan.FromMinutes(6));
        await Probe.WaitUntilAsync(() => !catalog.Contains(grain.GetGrainId()), because: "the 5 minute per-type age should collect it");
    }

    [Fact]
    public async Task DelayDeactivation_keeps_an_idle_activation_alive()
    {
        var grain = _silo.GrainFactory.GetGrain<ILifecycleGrain>("kept");
        var first = await grain.InstanceId().WaitAsync(Timeout);
        await grain.KeepAlive(TimeSpan.FromMinutes(40)).WaitAsync(Timeout);
        _time.Advance(TimeSpan.FromMinutes(30));
        Assert.DoesNotContain("kept:deactivate:ActivationIdle", Probe.Events);
        _time.Advance(TimeSpan.FromMinutes(12));
        await Probe.WaitUntilAsync(() => Probe.Events.Contains("kept:deactivated"));
        Assert.NotEqual(first, await grain.InstanceId().WaitAsync(Timeout));
    }
}
