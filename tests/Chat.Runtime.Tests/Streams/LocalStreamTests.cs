using Chat.Runtime.Streams;
using Chat.Runtime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Runtime.Tests.Streams;

public sealed class LocalStreamTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private SingleSilo _silo = null!;

    private IStreamProvider Streams => _silo.Services.GetRequiredService<IStreamProvider>();

    public async Task InitializeAsync() => _silo = await SingleSilo.StartAsync(configuration: new() { ["Chat:Streams:ReplayBufferSize"] = "20" });

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task A_subscriber_receives_every_event_in_order_with_gapless_positions()
    {
        var stream = Streams.GetStream<Note>(new StreamId("notes", Guid.NewGuid().ToString("N")));
        var observer = new RecordingObserver<Note>();
        await using var subscription = await stream.SubscribeAsync(observer).WaitAsync(Timeout);
        var tokens = new List<StreamSequenceToken>();
        for (var i = 1; i <= 100; i++)
        {
            tokens.Add(await stream.OnNextAsync(new Note(i, $"n{i}")).WaitAsync(Timeout));
        }

        await Probe.WaitUntilAsync(() => observer.Received.Count == 100);
        Assert.Equal(Enumerable.Range(1, 100), observer.Received.Select(r => r.Item.Number));
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), observer.Received.Select(r => r.Token.Sequence));
        Assert.Equal(tokens, observer.Received.Select(r => r.Token));
        Assert.Single(tokens.Select(t => t.Epoch).Distinct());
        Assert.Equal(0, observer.Overlaps);
    }

    [Fact]
    public async Task Read_since_returns_what_was_missed_or_says_the_token_is_too_old()
    {
        var stream = Streams.GetStream<Note>(new StreamId("notes", Guid.NewGuid().ToString("N")));
        var first = await stream.OnNextAsync(new Note(1, "a")).WaitAsync(Timeout);
        await stream.OnNextAsync(new Note(2, "b")).WaitAsync(Timeout);
        await stream.OnNextAsync(new Note(3, "c")).WaitAsync(Timeout);

        var replay = await stream.ReadSinceAsync(first).WaitAsync(Timeout);
        Assert.False(replay.TokenTooOld);
        Assert.Equal([2, 3], replay.Events.Select(e => e.Item.Number));
        Assert.Equal(3, replay.Latest.Sequence);

        Assert.True((await stream.ReadSinceAsync(first with { Epoch = first.Epoch + 1 }).WaitAsync(Timeout)).TokenTooOld, "another epoch");
        Assert.True((await stream.ReadSinceAsync(first with { Sequence = 99 }).WaitAsync(Timeout)).TokenTooOld, "a position never given out");

        for (var i = 4; i <= 30; i++)
        {
            await stream.OnNextAsync(new Note(i, "x")).WaitAsync(Timeout);
        }

        Assert.True((await stream.ReadSinceAsync(first).WaitAsync(Timeout)).TokenTooOld, "evicted from the 20-event buffer");
    }

    [Fact]
    public async Task Subscribing_from_a_token_replays_the_missed_events_then_continues_live()
    {
        var stream = Streams.GetStream<Note>(new StreamId("notes", Guid.NewGuid().ToString("N")));
        StreamSequenceToken last = default;
        for (var i = 1; i <= 5; i++)
        {
            last = await stream.OnNextAsync(new Note(i, "before")).WaitAsync(Timeout);
        }

        var missedFrom = last with { Sequence = 2 };
        var observer = new RecordingObserver<Note>();
        await using var subscription = await stream.SubscribeAsync(observer, missedFrom).WaitAsync(Timeout);
        Assert.False(subscription.ResyncRequired);
        await stream.OnNextAsync(new Note(6, "live")).WaitAsync(Timeout);
        await Probe.WaitUntilAsync(() => observer.Received.Count == 4);
        Assert.Equal([3, 4, 5, 6], observer.Received.Select(r => r.Item.Number));
        Assert.Empty(observer.Resyncs);
    }

    [Fact]
    public async Task Subscribing_from_a_token_that_is_too_old_asks_for_a_resync_and_then_delivers_live_events()
    {
        var stream = Streams.GetStream<Note>(new StreamId("notes", Guid.NewGuid().ToString("N")));
        var old = await stream.OnNextAsync(new Note(0, "old")).WaitAsync(Timeout);
        for (var i = 1; i <= 25; i++)
        {
            await stream.OnNextAsync(new Note(i, "x")).WaitAsync(Timeout);
        }

        var observer = new RecordingObserver<Note>();
        await using var subscription = await stream.SubscribeAsync(observer, old).WaitAsync(Timeout);
        Assert.True(subscription.ResyncRequired);
        await Probe.WaitUntilAsync(() => observer.Resyncs.Count == 1);
        Assert.Equal(26, observer.Resyncs.Single().Sequence);
        await stream.OnNextAsync(new Note(99, "after")).WaitAsync(Timeout);
        await Probe.WaitUntilAsync(() => observer.Received.Count == 1);
        Assert.Equal(99, observer.Received.Single().Item.Number);
    }

    [Fact]
    public async Task Ephemeral_events_reach_current_subscribers_without_a_position_and_are_not_replayed()
    {
        var stream = Streams.GetStream<Note>(new StreamId("notes", Guid.NewGuid().ToString("N")));
        var observer = new RecordingObserver<Note>();
        await using var subscription = await stream.SubscribeAsync(observer).WaitAsync(Timeout);
        var first = await stream.OnNextAsync(new Note(1, "kept")).WaitAsync(Timeout);
        await stream.OnNextEphemeralAsync(new Note(2, "typing")).WaitAsync(Timeout);
        await stream.OnNextAsync(new Note(3, "kept")).WaitAsync(Timeout);
        await Probe.WaitUntilAsync(() => observer.Received.Count == 3);
        Assert.Equal([1, 2, 3], observer.Received.Select(r => r.Item.Number));
        Assert.Equal([1L, 0L, 2L], observer.Received.Select(r => r.Token.Sequence));
        var replay = await stream.ReadSinceAsync(first with { Sequence = 0 }).WaitAsync(Timeout);
        Assert.Equal([1, 3], replay.Events.Select(e => e.Item.Number));
    }

    [Fact]
    public async Task Disposing_a_subscription_ends_its_lease()
    {
        var id = new StreamId("notes", Guid.NewGuid().ToString("N"));
        var stream = Streams.GetStream<Note>(id);
        var subscription = await stream.SubscribeAsync(new RecordingObserver<Note>()).WaitAsync(Timeout);
        var grain = _silo.GrainFactory.GetGrain<IStreamGrain>(id.Namespace + "/" + id.Key);
        Assert.Equal(1, await grain.SubscriberCount().WaitAsync(Timeout));
        await subscription.DisposeAsync();
        Assert.Equal(0, await grain.SubscriberCount().WaitAsync(Timeout));
    }
}
