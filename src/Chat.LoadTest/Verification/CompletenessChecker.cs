using System.Collections.Concurrent;

namespace Chat.LoadTest.Verification;

/// <summary>What happened to one delivery when it was recorded.</summary>
public enum DeliveryOutcome
{
    /// <summary>First delivery of this message to this recipient, in seq order.</summary>
    InOrder,

    /// <summary>First delivery, but after a later message of the same conversation (seq went back).</summary>
    OutOfOrder,

    /// <summary>The recipient had this message already.</summary>
    Duplicate,

    /// <summary>
    /// The live copy of a message the recipient had already fetched while catching up: a client merges
    /// it by seq, so it is neither a new delivery nor a duplicate.
    /// </summary>
    MergedWithCatchUp,
}

/// <summary>The verdict of a <see cref="CompletenessChecker"/>.</summary>
/// <param name="Expected">Deliveries that had to happen: each acknowledged message times its recipients.</param>
/// <param name="Received">Expected deliveries that happened (each counted once).</param>
/// <param name="Lost">Expected deliveries that did not happen.</param>
/// <param name="Duplicated">Deliveries of a message a recipient already had.</param>
/// <param name="OutOfOrder">Deliveries that came after a higher seq of the same conversation.</param>
/// <param name="Unexpected">First deliveries nobody expected (e.g. a send whose acknowledgement was lost).</param>
public sealed record CompletenessResult(long Expected, long Received, long Lost, long Duplicated, long OutOfOrder, long Unexpected)
{
    /// <summary>Nothing lost, duplicated or out of order.</summary>
    public bool IsComplete => Lost == 0 && Duplicated == 0 && OutOfOrder == 0;
}

/// <summary>
/// One duplicated or out-of-order delivery, with what the recipient had before: where to start
/// looking (the conversation, the message, and whether a catch-up after a resync had fetched it).
/// </summary>
/// <param name="Kind"><c>duplicate</c> or <c>outOfOrder</c>.</param>
/// <param name="HighestSeqBefore">The recipient's highest seq of the conversation when it arrived.</param>
/// <param name="CaughtUpBefore">The message had been fetched by a catch-up and its live copy had arrived already.</param>
/// <param name="AtSeconds">Seconds since the checker was created.</param>
public sealed record DeliveryAnomaly(string Kind, Guid RecipientId, Guid ConversationId, long Seq, long HighestSeqBefore, bool CaughtUpBefore, double AtSeconds);

/// <summary>
/// Checks that every recipient got every acknowledged message exactly once, in per-conversation seq
/// order. Acknowledgements (<see cref="ExpectMessage"/>) and deliveries (<see cref="RecordDelivery"/>)
/// may come in any order relative to each other and from any thread; order and duplicates are judged
/// as deliveries arrive, losses when <see cref="Result"/> is asked.
/// </summary>
public sealed class CompletenessChecker
{
    private readonly ConcurrentDictionary<(Guid Recipient, Guid Conversation), Inbox> _inboxes = new();
    private readonly ConcurrentDictionary<(Guid Conversation, long Seq), Expectation> _expectations = new();
    private readonly ConcurrentQueue<DeliveryAnomaly> _anomalies = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _expectedDeliveries;

    /// <summary>How many anomalies are kept with their details (all are counted).</summary>
    public const int AnomalySamples = 20;

    /// <summary>The first <see cref="AnomalySamples"/> duplicated or out-of-order deliveries.</summary>
    public IReadOnlyList<DeliveryAnomaly> Anomalies => [.. _anomalies];

    /// <summary>Deliveries expected so far.</summary>
    public long ExpectedDeliveries => Interlocked.Read(ref _expectedDeliveries);

    /// <summary>
    /// An acknowledged message: every participant but its sender must receive it once. The list is kept,
    /// not copied: pass the conversation's shared participant list. A second acknowledgement of the same
    /// message (an idempotent retry) changes nothing.
    /// </summary>
    public void ExpectMessage(Guid conversationId, long seq, IReadOnlyList<Guid> participants, Guid senderId)
    {
        ArgumentNullException.ThrowIfNull(participants);
        var expectation = new Expectation(participants, senderId);
        if (_expectations.TryAdd((conversationId, seq), expectation))
        {
            Interlocked.Add(ref _expectedDeliveries, expectation.RecipientCount);
        }
    }

    /// <summary>A recipient received message <paramref name="seq"/> of a conversation.</summary>
    public DeliveryOutcome RecordDelivery(Guid recipientId, Guid conversationId, long seq)
    {
        var inbox = _inboxes.GetOrAdd((recipientId, conversationId), static _ => new Inbox());
        lock (inbox)
        {
            if (!inbox.Seqs.Add(seq))
            {
                // A catch-up can read a committed message whose notice is still on its way; its live copy
                // arrives once afterwards. Only a second live copy is a duplicate.
                if (inbox.CaughtUpNotYetLive.Remove(seq))
                {
                    inbox.CaughtUpAndLive.Add(seq);
                    return DeliveryOutcome.MergedWithCatchUp;
                }

                inbox.Duplicates++;
                Sample("duplicate", recipientId, conversationId, seq, inbox.HighestSeq, inbox.CaughtUpAndLive.Contains(seq));
                return DeliveryOutcome.Duplicate;
            }

            if (seq < inbox.HighestSeq)
            {
                inbox.OutOfOrder++;
                Sample("outOfOrder", recipientId, conversationId, seq, inbox.HighestSeq, caughtUpBefore: false);
                return DeliveryOutcome.OutOfOrder;
            }

            inbox.HighestSeq = seq;
            return DeliveryOutcome.InOrder;
        }
    }

    /// <summary>The highest seq of a conversation a recipient has received (0: none yet).</summary>
    public long HighestSeq(Guid recipientId, Guid conversationId)
    {
        if (!_inboxes.TryGetValue((recipientId, conversationId), out var inbox))
        {
            return 0;
        }

        lock (inbox)
        {
            return inbox.HighestSeq;
        }
    }

    /// <summary>
    /// A message the recipient fetched from history after the server demanded a resync (events were
    /// lost with a stream). It counts as received if it had not been; never as a duplicate or out of
    /// order, since a client merges what it fetches by seq. True when it was missing.
    /// </summary>
    public bool RecordCatchUp(Guid recipientId, Guid conversationId, long seq)
    {
        var inbox = _inboxes.GetOrAdd((recipientId, conversationId), static _ => new Inbox());
        lock (inbox)
        {
            if (!inbox.Seqs.Add(seq))
            {
                return false;
            }

            inbox.CaughtUpNotYetLive.Add(seq);
            inbox.HighestSeq = Math.Max(inbox.HighestSeq, seq);
            return true;
        }
    }

    /// <summary>Counts expected deliveries that have arrived (cheap enough to poll while draining).</summary>
    public long CountReceivedExpected() => Result().Received;

    /// <summary>The verdict now.</summary>
    public CompletenessResult Result()
    {
        long expected = 0, received = 0;
        foreach (var ((conversationId, seq), expectation) in _expectations)
        {
            foreach (var recipient in expectation.Participants)
            {
                if (recipient == expectation.Sender)
                {
                    continue;
                }

                expected++;
                if (_inboxes.TryGetValue((recipient, conversationId), out var inbox))
                {
                    lock (inbox)
                    {
                        if (inbox.Seqs.Contains(seq))
                        {
                            received++;
                        }
                    }
                }
            }
        }

        long duplicated = 0, outOfOrder = 0, delivered = 0;
        foreach (var inbox in _inboxes.Values)
        {
            lock (inbox)
            {
                duplicated += inbox.Duplicates;
                outOfOrder += inbox.OutOfOrder;
                delivered += inbox.Seqs.Count;
            }
        }

        return new CompletenessResult(expected, received, expected - received, duplicated, outOfOrder, delivered - received);
    }

    private void Sample(string kind, Guid recipientId, Guid conversationId, long seq, long highestBefore, bool caughtUpBefore)
    {
        // Racy by a few entries under contention; only a bound, not an exact count (that is in Result).
        if (_anomalies.Count < AnomalySamples)
        {
            _anomalies.Enqueue(new DeliveryAnomaly(kind, recipientId, conversationId, seq, highestBefore, caughtUpBefore, Math.Round(_clock.Elapsed.TotalSeconds, 3)));
        }
    }

    private sealed record Expectation(IReadOnlyList<Guid> Participants, Guid Sender)
    {
        public int RecipientCount { get; } = Participants.Count(p => p != Sender);
    }

    private sealed class Inbox
    {
        public HashSet<long> Seqs { get; } = [];

        public HashSet<long> CaughtUpNotYetLive { get; } = [];

        public HashSet<long> CaughtUpAndLive { get; } = [];

        public long HighestSeq { get; set; }

        public long Duplicates { get; set; }

        public long OutOfOrder { get; set; }
    }
}
