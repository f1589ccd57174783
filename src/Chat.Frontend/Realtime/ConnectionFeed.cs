using System.Threading.Channels;
using Chat.Grains;

namespace Chat.Frontend.Realtime;

/// <summary>
/// The events of one hub connection, in order, without duplicates. A new connection first holds its
/// events: the client normally calls <c>Resume</c> right after connecting, and the held events become
/// part of that answer instead of overtaking it. Without a <c>Resume</c> within the resume window the
/// held events are pushed anyway. After a <c>Resume</c> live events wait a short settle delay, so they
/// reach the client after the answer.
/// </summary>
internal sealed class ConnectionFeed
{
    private readonly object _lock = new();
    private readonly List<OutgoingEvent> _held = [];
    private readonly Channel<OutgoingEvent> _out = Channel.CreateUnbounded<OutgoingEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<ConnectionFeed, OutgoingEvent, Task> _send;
    private readonly Action<ConnectionFeed, Exception> _sendFailed;
    private bool _live;
    private bool _closed;
    private EventPosition? _last;
    private EventPosition? _resyncAt;

    public ConnectionFeed(string connectionId, Guid userId, string sessionKey, Action abort,
        Func<ConnectionFeed, OutgoingEvent, Task> send, Action<ConnectionFeed, Exception> sendFailed)
    {
        ConnectionId = connectionId;
        UserId = userId;
        SessionKey = sessionKey;
        Abort = abort;
        _send = send;
        _sendFailed = sendFailed;
    }

    public string ConnectionId { get; }

    public Guid UserId { get; }

    /// <summary>The session the connection authenticated with (closed when it is revoked).</summary>
    public string SessionKey { get; }

    /// <summary>Closes the connection.</summary>
    public Action Abort { get; }

    /// <summary>Starts pushing; held events go out after <paramref name="resumeWindow"/> unless the client resumes first.</summary>
    public void Start(TimeSpan resumeWindow)
    {
        _ = Task.Run(PumpAsync);
        _ = Task.Delay(resumeWindow).ContinueWith(_ => GoLive(), TaskScheduler.Default);
    }

    /// <summary>An event of the user, in stream order.</summary>
    public void Offer(OutgoingEvent evt)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            if (!_live)
            {
                _held.Add(evt);
                return;
            }

            EnqueueLocked(evt);
        }
    }

    /// <summary>Events were lost up to <paramref name="latest"/>: the client must reload.</summary>
    public void OfferResync(EventPosition latest)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            if (!_live)
            {
                _resyncAt = latest;
                return;
            }

            _last = latest;
            _out.Writer.TryWrite(EventWire.ResyncEvent(latest));
        }
    }

    /// <summary>
    /// The client's <c>Resume</c>: what it missed after (<paramref name="epoch"/>, <paramref name="seq"/>) —
    /// the replay read from the stream plus what this connection holds — and from now on live events
    /// after that. Returns the answer and the events it contains (for delivery receipts).
    /// </summary>
    public (ResumeResult Result, IReadOnlyList<OutgoingEvent> Events) Resume(long epoch, long seq, WireReplay replay)
    {
        lock (_lock)
        {
            var held = _held.ToList();
            _held.Clear();
            var wasLive = _live;
            _live = true;
            var latest = replay.Latest;
            ResumeResult result;
            List<OutgoingEvent> events = [];
            if (replay.TooOld || _resyncAt is not null)
            {
                _resyncAt = null;
                Advance(latest);
                result = new ResumeResult(null, true, latest.Epoch, latest.Seq);
                foreach (var evt in held)
                {
                    EnqueueLocked(evt);
                }
            }
            else
            {
                var bySeq = new SortedDictionary<long, OutgoingEvent>();
                foreach (var evt in replay.Events)
                {
                    if (evt.Token is { } t && t.Epoch == epoch && t.Seq > seq)
                    {
                        bySeq.TryAdd(t.Seq, evt);
                    }
                }

                var later = new List<OutgoingEvent>();
                foreach (var evt in held)
                {
                    if (evt.Token is { } t && t.Epoch == epoch)
                    {
                        if (t.Seq > seq)
                        {
                            bySeq.TryAdd(t.Seq, evt);
                        }
                    }
                    else
                    {
                        later.Add(evt); // ephemeral, or of a newer epoch than the replay
                    }
                }

                events = [.. bySeq.Values];
                var reached = events.Count > 0 ? events[^1].Token!.Value : new EventPosition(epoch, seq);
                Advance(reached);
                result = new ResumeResult([.. events.Select(e => e.Payload)], null, _last!.Value.Epoch, _last.Value.Seq);
                foreach (var evt in later)
                {
                    EnqueueLocked(evt);
                }
            }

            if (!wasLive)
            {
                _ = Task.Delay(SettleDelay).ContinueWith(_ => _gate.TrySetResult(), TaskScheduler.Default);
            }

            return (result, events);
        }
    }

    /// <summary>Pause between a Resume answer and the first pushed event.</summary>
    public TimeSpan SettleDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The resume window passed without a Resume: push what is held.</summary>
    private void GoLive()
    {
        lock (_lock)
        {
            if (_live || _closed)
            {
                return;
            }

            _live = true;
            if (_resyncAt is { } resync)
            {
                _resyncAt = null;
                _last = resync;
                _out.Writer.TryWrite(EventWire.ResyncEvent(resync));
            }

            foreach (var evt in _held)
            {
                EnqueueLocked(evt);
            }

            _held.Clear();
        }

        _gate.TrySetResult();
    }

    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            _held.Clear();
            _out.Writer.TryComplete();
        }

        _gate.TrySetResult();
    }

    private void EnqueueLocked(OutgoingEvent evt)
    {
        if (evt.Token is { } token)
        {
            if (_last is { } last && last.Epoch == token.Epoch && token.Seq <= last.Seq)
            {
                return; // already sent, or part of a Resume answer
            }

            _last = token;
        }

        _out.Writer.TryWrite(evt);
    }

    private void Advance(EventPosition to)
    {
        if (_last is not { } last || last.Epoch != to.Epoch || to.Seq > last.Seq)
        {
            _last = to;
        }
    }

    private async Task PumpAsync()
    {
        await _gate.Task.ConfigureAwait(false);
        await foreach (var evt in _out.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await _send(this, evt).ConfigureAwait(false);
                evt.Ticket?.Delivered();
            }
            catch (Exception exception)
            {
                _sendFailed(this, exception);
            }
        }
    }
}
