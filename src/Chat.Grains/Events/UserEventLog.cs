using System.Collections.Immutable;

namespace Chat.Grains.Events;

/// <summary>
/// A user's event log: the single writer of the user's positions (epoch, seq) and a bounded replay
/// buffer of the newest events, kept by the user's grain. Streams only carry the events; what a
/// frontend missed (a stream event lost with a silo, a subscription lost with a gateway) and what a
/// reconnecting client asks for come from here. Pure logic: the grain persists <see cref="ToState"/>.
/// </summary>
internal sealed class UserEventLog
{
    private readonly int _capacity;
    private readonly Queue<PositionedEvent> _tail;

    private UserEventLog(long epoch, long seq, IEnumerable<PositionedEvent> tail, int capacity)
    {
        Epoch = epoch;
        Seq = seq;
        _capacity = capacity;
        _tail = new Queue<PositionedEvent>(tail.TakeLast(capacity));
    }

    /// <summary>The current epoch.</summary>
    public long Epoch { get; }

    /// <summary>The newest position's seq (0 before the first event of the epoch).</summary>
    public long Seq { get; private set; }

    /// <summary>The newest position.</summary>
    public EventPosition Latest => new(Epoch, Seq);

    /// <summary>
    /// The log of a new activation: the stored one continued when its previous activation closed it
    /// cleanly (graceful deactivation or a silo handing its grains over), else a new epoch — the
    /// previous activation died with its silo, and whatever it positioned after its last save is unknown.
    /// </summary>
    public static UserEventLog Open(UserEventLogState? stored, long now, int capacity)
    {
        if (stored is { Epoch: > 0, Open: false })
        {
            return new UserEventLog(stored.Epoch, stored.Seq, stored.Tail, capacity);
        }

        // Epochs only have to differ; growing ones read better in logs.
        var epoch = Math.Max(now, (stored?.Epoch ?? 0) + 1);
        return new UserEventLog(epoch, 0, [], capacity);
    }

    /// <summary>Positions <paramref name="evt"/> after the newest event.</summary>
    public PositionedEvent Append(UserEvent evt)
    {
        Seq++;
        var positioned = new PositionedEvent(new EventPosition(Epoch, Seq), evt);
        _tail.Enqueue(positioned);
        while (_tail.Count > _capacity)
        {
            _tail.Dequeue();
        }

        return positioned;
    }

    /// <summary>
    /// The events after <paramref name="after"/>, oldest first; too old when that position is of
    /// another epoch, ahead of the log, or older than the buffer.
    /// </summary>
    public EventReplay ReadAfter(EventPosition after)
    {
        if (after.Epoch != Epoch || after.Seq > Seq || after.Seq < 0)
        {
            return new EventReplay(Latest, TooOld: true, []);
        }

        if (after.Seq == Seq)
        {
            return new EventReplay(Latest, TooOld: false, []);
        }

        var oldest = _tail.Count > 0 ? _tail.Peek().Position.Seq : Seq + 1;
        if (after.Seq + 1 < oldest)
        {
            return new EventReplay(Latest, TooOld: true, []);
        }

        return new EventReplay(Latest, TooOld: false, [.. _tail.Where(e => e.Position.Seq > after.Seq)]);
    }

    /// <summary>What the grain stores: <paramref name="open"/> while an activation writes to it.</summary>
    public UserEventLogState ToState(bool open) => new()
    {
        Epoch = Epoch,
        Seq = Seq,
        Open = open,
        Tail = open ? [] : [.. _tail],
    };
}

/// <summary>
/// The stored form of a user's event log (grain state <c>userEventLog</c>). <see cref="Open"/> is
/// written true when an activation takes the log over and false, with the tail, when it closes it:
/// a log found open was not closed cleanly, so its positions cannot be trusted and a new epoch starts.
/// </summary>
[GenerateSerializer, Alias("chat.UserEventLogState")]
public sealed class UserEventLogState
{
    /// <summary>The grain state's name (unique per grain type: the ADO.NET storage key has no grain type).</summary>
    public const string StateName = "userEventLog";

    /// <summary>The epoch; 0 before the user's first activation.</summary>
    [Id(0)]
    public long Epoch { get; set; }

    /// <summary>The newest seq of the epoch.</summary>
    [Id(1)]
    public long Seq { get; set; }

    /// <summary>Whether an activation holds the log.</summary>
    [Id(2)]
    public bool Open { get; set; }

    /// <summary>The replay buffer at the last clean close.</summary>
    [Id(3)]
    public ImmutableArray<PositionedEvent> Tail { get; set; } = [];
}
