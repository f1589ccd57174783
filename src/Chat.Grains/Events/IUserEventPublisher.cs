using System.Collections.Concurrent;
using System.Collections.Immutable;
using Chat.Runtime.Streams;

namespace Chat.Grains.Events;

/// <summary>
/// Where a user grain publishes the user's events. Over the runtime's streams when an
/// <see cref="IStreamProvider"/> is registered; otherwise an in-memory recorder (tests, and silos
/// without streams), so the domain rules do not depend on the stream implementation.
/// </summary>
public interface IUserEventPublisher
{
    /// <summary>Publishes an event on the user's stream and returns its position.</summary>
    Task<(long Epoch, long Seq)> PublishAsync(Guid userId, UserEvent evt);

    /// <summary>Publishes an ephemeral event (typing, presence): current subscribers only, no position, no replay.</summary>
    Task PublishEphemeralAsync(Guid userId, UserEvent evt);
}

/// <summary>Publishes on the stream <c>user-events/{userId:N}</c>.</summary>
internal sealed class StreamUserEventPublisher(IStreamProvider streams) : IUserEventPublisher
{
    public async Task<(long Epoch, long Seq)> PublishAsync(Guid userId, UserEvent evt)
    {
        var stream = streams.GetStream<UserEvent>(new StreamId(UserEventStream.Namespace, UserEventStream.KeyOf(userId)));
        var token = await stream.OnNextAsync(evt).ConfigureAwait(false);
        return (token.Epoch, token.Sequence);
    }

    public Task PublishEphemeralAsync(Guid userId, UserEvent evt) =>
        streams.GetStream<UserEvent>(new StreamId(UserEventStream.Namespace, UserEventStream.KeyOf(userId))).OnNextEphemeralAsync(evt);
}

/// <summary>An event as recorded by <see cref="RecordingUserEventPublisher"/>.</summary>
public sealed record RecordedUserEvent(long Epoch, long Seq, UserEvent Event);

/// <summary>
/// Keeps the latest events of each user in memory with positions (epoch, seq): the epoch is fixed
/// per instance (a silo's lifetime), seq counts per user from 1.
/// </summary>
public sealed class RecordingUserEventPublisher : IUserEventPublisher
{
    private const int KeptPerUser = 2000;
    private readonly ConcurrentDictionary<Guid, UserLog> _logs = new();

    /// <summary>Creates a recorder whose epoch is the current time in milliseconds.</summary>
    public RecordingUserEventPublisher(TimeProvider time) => Epoch = time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The epoch of every event recorded here.</summary>
    public long Epoch { get; }

    /// <inheritdoc />
    public Task<(long Epoch, long Seq)> PublishAsync(Guid userId, UserEvent evt)
    {
        var log = _logs.GetOrAdd(userId, _ => new UserLog());
        lock (log)
        {
            log.Seq++;
            log.Events.Enqueue(new RecordedUserEvent(Epoch, log.Seq, evt));
            while (log.Events.Count > KeptPerUser)
            {
                log.Events.Dequeue();
            }

            return Task.FromResult((Epoch, log.Seq));
        }
    }

    /// <inheritdoc />
    public Task PublishEphemeralAsync(Guid userId, UserEvent evt)
    {
        var log = _logs.GetOrAdd(userId, _ => new UserLog());
        lock (log)
        {
            log.Ephemeral.Enqueue(evt);
            while (log.Ephemeral.Count > KeptPerUser)
            {
                log.Ephemeral.Dequeue();
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The recorded ephemeral events of a user (typing, presence…), oldest first.</summary>
    public ImmutableArray<UserEvent> EphemeralEventsOf(Guid userId)
    {
        if (!_logs.TryGetValue(userId, out var log))
        {
            return [];
        }

        lock (log)
        {
            return [.. log.Ephemeral];
        }
    }

    /// <summary>The recorded events of a user, oldest first.</summary>
    public ImmutableArray<RecordedUserEvent> EventsOf(Guid userId)
    {
        if (!_logs.TryGetValue(userId, out var log))
        {
            return [];
        }

        lock (log)
        {
            return [.. log.Events];
        }
    }

    private sealed class UserLog
    {
        public long Seq;
        public readonly Queue<RecordedUserEvent> Events = new();
        public readonly Queue<UserEvent> Ephemeral = new();
    }
}
