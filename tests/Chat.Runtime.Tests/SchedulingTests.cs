using Chat.Runtime.Tests.Grains;
using Chat.Runtime.Tests.Infrastructure;

namespace Chat.Runtime.Tests;

public sealed class SchedulingTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private SingleSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await SingleSilo.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task A_non_reentrant_grain_never_runs_two_requests_at_once_even_across_awaits()
    {
        var grain = _silo.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid());
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => grain.SlowIncrement(1))).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await grain.MaxConcurrency().WaitAsync(Timeout));
        Assert.Equal(Enumerable.Range(1, 100), results.Order());
    }

    [Fact]
    public async Task A_request_that_released_its_turn_lets_the_next_one_run_and_is_answered_when_it_returns()
    {
        var key = Guid.NewGuid();
        var grain = _silo.GrainFactory.GetGrain<IReleasingGrain>(key);
        var first = grain.CountThenWaitAfterRelease();
        await Probe.WaitUntilAsync(() => _silo.Probe.Events.Contains($"{key} released"), Timeout);

        // Without the release this would wait for the first request, which waits for the gate.
        Assert.Equal(2, await grain.Count().WaitAsync(Timeout));
        Assert.False(first.IsCompleted);

        _silo.Probe.Gate(key.ToString()).SetResult();
        Assert.Equal(1, await first.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_reentrant_grain_interleaves_requests_at_awaits()
    {
        var grain = _silo.GrainFactory.GetGrain<IReentrantGrain>(1);
        var gate = Guid.NewGuid().ToString();
        var waiting = grain.WaitFor(gate);
        // A non-reentrant grain would deadlock here: Open can only run while WaitFor awaits.
        await grain.Open(gate).WaitAsync(Timeout);
        await waiting.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_reentrant_grain_still_runs_on_one_thread_at_a_time_under_load()
    {
        var grain = _silo.GrainFactory.GetGrain<IReentrantGrain>(2);
        var maxima = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => grain.Churn(20))).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, maxima.Max());
    }

    [Fact]
    public async Task An_always_interleave_method_runs_while_another_request_holds_the_grain()
    {
        var grain = _silo.GrainFactory.GetGrain<ISchedulingGrain>("interleave");
        var gate = Guid.NewGuid().ToString();
        var blocked = grain.Block(gate);
        await Probe.WaitUntilAsync(() => _silo.Probe.Events.Contains("interleave:block-start"));
        Assert.Equal("interleaved", await grain.Interleaved().WaitAsync(Timeout));
        Assert.False(blocked.IsCompleted);
        _silo.Probe.Gate(gate).SetResult();
        await blocked.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Read_only_requests_overlap_each_other_but_not_a_write()
    {
        var grain = _silo.GrainFactory.GetGrain<ISchedulingGrain>("readers");
        var gate = Guid.NewGuid().ToString();
        var first = grain.ReadWhileBlocked(gate);
        var second = grain.ReadWhileBlocked(gate);
        // Both readers get inside while neither has finished.
        await Probe.WaitUntilAsync(() => _silo.Probe.Events.Contains("readers:reader-in:2"), because: "two read-only requests should overlap");
        var write = grain.Write();
        await Task.Delay(100);
        Assert.False(write.IsCompleted, "a write must wait for the running readers");
        _silo.Probe.Gate(gate).SetResult();
        Assert.Equal([1, 2], (await Task.WhenAll(first, second).WaitAsync(Timeout)).Order());
        Assert.Equal(0, await write.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_blocked_non_reentrant_grain_queues_later_requests()
    {
        var grain = _silo.GrainFactory.GetGrain<ISchedulingGrain>("queued");
        var gate = Guid.NewGuid().ToString();
        var blocked = grain.Block(gate);
        var next = grain.Write();
        await Task.Delay(100);
        Assert.False(next.IsCompleted);
        _silo.Probe.Gate(gate).SetResult();
        await Task.WhenAll(blocked, next).WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_one_way_call_returns_before_the_grain_has_run_it()
    {
        var grain = _silo.GrainFactory.GetGrain<ISchedulingGrain>("oneway");
        var gate = Guid.NewGuid().ToString();
        var call = grain.FireAndForget(gate);
        Assert.True(call.IsCompletedSuccessfully);
        Assert.DoesNotContain("oneway:one-way-done", _silo.Probe.Events);
        _silo.Probe.Gate(gate).SetResult();
        await Probe.WaitUntilAsync(() => _silo.Probe.Events.Contains("oneway:one-way-done"));
    }

    [Fact]
    public async Task Requests_from_one_caller_run_in_the_order_sent()
    {
        var grain = _silo.GrainFactory.GetGrain<ISchedulingGrain>("fifo");
        var calls = Enumerable.Range(0, 1000).Select(i => grain.Record(i)).ToArray();
        await Task.WhenAll(calls).WaitAsync(Timeout);
        Assert.Equal(Enumerable.Range(0, 1000), await grain.Recorded().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Grain_to_grain_calls_resume_on_the_calling_activation()
    {
        // LifecycleGrain.MaxConcurrency awaits; run it from many callers: concurrency stays 1.
        var grain = _silo.GrainFactory.GetGrain<ILifecycleGrain>("nested");
        var maxima = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => grain.MaxConcurrency())).WaitAsync(Timeout);
        Assert.Equal(1, maxima.Max());
    }
}
