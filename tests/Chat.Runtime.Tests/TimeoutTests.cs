using Chat.Runtime.Tests.Grains;
using Chat.Runtime.Tests.Infrastructure;

namespace Chat.Runtime.Tests;

public sealed class TimeoutTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly Guid _releasedKey = Guid.NewGuid();
    private SingleSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await SingleSilo.StartAsync(configuration: new()
    {
        ["Chat:Messaging:ResponseTimeout"] = "00:00:01",
        ["Chat:Messaging:TimeoutCheckInterval"] = "00:00:00.050",
    });

    public async Task DisposeAsync()
    {
        foreach (var gate in new[] { "t1", "t2", "t3", "t4", "t5", _releasedKey.ToString() })
        {
            _silo.Probe.Gate(gate).TrySetResult();
        }

        await _silo.DisposeAsync();
    }

    [Fact]
    public async Task A_call_that_does_not_complete_in_the_global_timeout_fails_with_a_timeout()
    {
        var grain = _silo.GrainFactory.GetGrain<ISchedulingGrain>("global");
        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => grain.Hang("t1").WaitAsync(Timeout));
    }

    [Fact]
    public async Task The_method_attribute_overrides_the_global_timeout()
    {
        var grain = _silo.GrainFactory.GetGrain<ISchedulingGrain>("attribute");
        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => grain.HangWithShortTimeout("t2").WaitAsync(Timeout));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromMilliseconds(950), "the 300 ms attribute timeout should win over the 1 s default");
    }

    [Fact]
    public async Task A_per_call_override_wins_over_everything()
    {
        var grain = _silo.GrainFactory.GetGrain<ISchedulingGrain>("override");
        Task call;
        using (GrainCallTimeout.Override(TimeSpan.FromSeconds(20)))
        {
            call = grain.Hang("t3");
        }

        await Task.Delay(1500);
        Assert.False(call.IsCompleted, "the 20 s override should outlive the 1 s default");
        _silo.Probe.Gate("t3").SetResult();
        await call.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_queued_request_whose_deadline_passed_is_dropped_unexecuted()
    {
        var grain = _silo.GrainFactory.GetGrain<ISchedulingGrain>("expired");
        Task blocker;
        using (GrainCallTimeout.Override(TimeSpan.FromSeconds(20)))
        {
            blocker = grain.Block("t4");
        }

        await Probe.WaitUntilAsync(() => _silo.Probe.Events.Contains("expired:block-start"));
        var queued = grain.Hang("t5");
        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => queued.WaitAsync(Timeout));
        _silo.Probe.Gate("t4").SetResult();
        await blocker.WaitAsync(Timeout);
        // The grain is free again and the expired request never ran.
        await grain.Record(1).WaitAsync(Timeout);
        Assert.Equal(0, _silo.Probe.Count("expired:hang-started"));
    }

    [Fact]
    public async Task A_request_that_released_its_turn_still_fails_with_a_timeout_when_it_never_returns()
    {
        var grain = _silo.GrainFactory.GetGrain<IReleasingGrain>(_releasedKey);
        await Assert.ThrowsAsync<GrainCallTimeoutException>(() => grain.CountThenWaitAfterRelease().WaitAsync(Timeout));
        Assert.Contains($"{_releasedKey} released", _silo.Probe.Events);
    }
}
