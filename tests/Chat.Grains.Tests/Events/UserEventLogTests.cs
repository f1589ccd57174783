using Chat.Grains.Events;

namespace Chat.Grains.Tests.Events;

/// <summary>The user's event log: positions, replay and epochs (pure logic, no silo).</summary>
public sealed class UserEventLogTests
{
    private const long Now = 1_700_000_000_000;

    private static UserEvent Event(int n) => new UnreadChangedEvent(Guid.NewGuid(), n, n, 1);

    private static UserEventLog LogWith(int events, int capacity = 8)
    {
        var log = UserEventLog.Open(null, Now, capacity);
        for (var i = 1; i <= events; i++)
        {
            log.Append(Event(i));
        }

        return log;
    }

    [Fact]
    public void A_new_log_starts_an_epoch_at_seq_0_and_each_event_takes_the_next_seq()
    {
        var log = UserEventLog.Open(null, Now, 8);

        var positions = Enumerable.Range(1, 20).Select(i => log.Append(Event(i)).Position).ToList();

        Assert.Equal(Now, log.Epoch);
        Assert.All(positions, p => Assert.Equal(Now, p.Epoch));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), positions.Select(p => p.Seq));
        Assert.Equal(new EventPosition(Now, 20), log.Latest);
    }

    [Fact]
    public void Reading_after_a_position_returns_exactly_the_later_events_in_order()
    {
        var log = UserEventLog.Open(null, Now, 8);
        var appended = Enumerable.Range(1, 6).Select(i => log.Append(Event(i))).ToList();

        var replay = log.ReadAfter(new EventPosition(Now, 2));
        var upToDate = log.ReadAfter(new EventPosition(Now, 6));

        Assert.False(replay.TooOld);
        Assert.Equal(appended.Skip(2), replay.Events);
        Assert.Equal(new EventPosition(Now, 6), replay.Latest);
        Assert.False(upToDate.TooOld);
        Assert.Empty(upToDate.Events);
    }

    [Fact]
    public void The_whole_buffer_replays_from_the_position_just_before_its_oldest_event()
    {
        var log = LogWith(20, capacity: 8);

        var replay = log.ReadAfter(new EventPosition(Now, 12));

        Assert.False(replay.TooOld);
        Assert.Equal(Enumerable.Range(13, 8).Select(i => (long)i), replay.Events.Select(e => e.Position.Seq));
    }

    [Fact]
    public void A_position_older_than_the_buffer_of_another_epoch_or_ahead_of_the_log_is_too_old_with_the_latest_position()
    {
        var log = LogWith(20, capacity: 8);
        var latest = new EventPosition(Now, 20);

        foreach (var position in new[]
        {
            new EventPosition(Now, 11), new EventPosition(Now, 0), new EventPosition(Now - 1, 15),
            new EventPosition(Now + 1, 15), new EventPosition(Now, 21), new EventPosition(Now, -1), default,
        })
        {
            var replay = log.ReadAfter(position);
            Assert.True(replay.TooOld, $"{position} should be too old");
            Assert.Empty(replay.Events);
            Assert.Equal(latest, replay.Latest);
        }
    }

    [Fact]
    public void A_log_stored_open_was_not_closed_cleanly_so_the_next_activation_starts_a_new_epoch()
    {
        var first = LogWith(5);
        var stored = first.ToState(open: true);

        var next = UserEventLog.Open(stored, Now + 10, 8);

        Assert.True(stored.Open);
        Assert.Empty(stored.Tail);
        Assert.NotEqual(first.Epoch, next.Epoch);
        Assert.Equal(0, next.Seq);
        Assert.True(next.ReadAfter(first.Latest).TooOld);
        Assert.Equal(new EventPosition(next.Epoch, 1), next.Append(Event(1)).Position);
    }

    [Fact]
    public void A_new_epoch_differs_from_the_stored_one_even_when_the_clock_went_back()
    {
        var stored = LogWith(3).ToState(open: true);

        var next = UserEventLog.Open(stored, Now - 60_000, 8);

        Assert.True(next.Epoch > stored.Epoch);
    }

    [Fact]
    public void A_cleanly_closed_log_continues_its_epoch_and_replays_its_tail()
    {
        var first = LogWith(20, capacity: 8);
        var stored = first.ToState(open: false);

        var next = UserEventLog.Open(stored, Now + 10, 8);
        var reopenedAt = next.Latest;
        var replay = next.ReadAfter(new EventPosition(Now, 15));
        var appended = next.Append(Event(21));

        Assert.Equal(8, stored.Tail.Length);
        Assert.Equal(new EventPosition(first.Epoch, 20), reopenedAt);
        Assert.False(replay.TooOld);
        Assert.Equal(new long[] { 16, 17, 18, 19, 20 }, replay.Events.Select(e => e.Position.Seq));
        Assert.Equal(new EventPosition(Now, 21), appended.Position);
        Assert.True(next.ReadAfter(new EventPosition(Now, 11)).TooOld);
    }

    [Fact]
    public void A_closed_log_reopened_with_a_smaller_buffer_keeps_only_the_newest_of_its_tail()
    {
        var stored = LogWith(8, capacity: 8).ToState(open: false);

        var next = UserEventLog.Open(stored, Now, capacity: 3);

        Assert.Equal(new long[] { 6, 7, 8 }, next.ReadAfter(new EventPosition(Now, 5)).Events.Select(e => e.Position.Seq));
        Assert.True(next.ReadAfter(new EventPosition(Now, 4)).TooOld);
    }
}
