using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Chat.Grains.Events;

/// <summary>
/// Where a user grain sends the user's events: to the stream of every frontend holding a connection
/// of the user. Over Orleans streams when the silo has the <see cref="FrontendEventStream.ProviderName"/>
/// provider; otherwise an in-memory recorder (domain tests), so the domain rules do not depend on
/// the stream implementation. Positions come from the user's <see cref="UserEventLog"/>, not from here.
/// </summary>
public interface IUserEventPublisher
{
    /// <summary>Sends <paramref name="envelope"/> to each of <paramref name="frontends"/>.</summary>
    Task PublishAsync(IReadOnlyCollection<string> frontends, UserEventEnvelope envelope);
}

/// <summary>An event as recorded by <see cref="RecordingUserEventPublisher"/>.</summary>
public sealed record RecordedUserEvent(long Epoch, long Seq, UserEvent Event);

/// <summary>Keeps the latest events of each user in memory, whether or not a frontend holds the user.</summary>
public sealed class RecordingUserEventPublisher : IUserEventPublisher
{
    private const int KeptPerUser = 2000;
    private readonly ConcurrentDictionary<Guid, UserLog> _logs = new();

    /// <inheritdoc />
    public Task PublishAsync(IReadOnlyCollection<string> frontends, UserEventEnvelope envelope)
    {
        var log = _logs.GetOrAdd(envelope.UserId, _ => new UserLog());
        lock (log)
        {
            if (envelope.Position is { } position)
            {
                log.Events.Enqueue(new RecordedUserEvent(position.Epoch, position.Seq, envelope.Event));
                Trim(log.Events);
            }
            else
            {
                log.Ephemeral.Enqueue(envelope.Event);
                Trim(log.Ephemeral);
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

    private static void Trim<T>(Queue<T> queue)
    {
        while (queue.Count > KeptPerUser)
        {
            queue.Dequeue();
        }
    }

    private sealed class UserLog
    {
        public readonly Queue<RecordedUserEvent> Events = new();
        public readonly Queue<UserEvent> Ephemeral = new();
    }
}
