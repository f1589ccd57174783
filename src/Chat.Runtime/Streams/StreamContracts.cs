using System.Globalization;

namespace Chat.Runtime.Streams;

/// <summary>Identity of a stream: a namespace (e.g. "user-events") and a key.</summary>
public readonly record struct StreamId(string Namespace, string Key)
{
    /// <inheritdoc />
    public override string ToString() => $"{Namespace}/{Key}";
}

/// <summary>
/// Position of an event in a stream: the epoch (changes when the stream's log restarts, e.g. after
/// the silo holding it crashed) and the sequence number within the epoch (1, 2, 3, … without gaps).
/// </summary>
public readonly record struct StreamSequenceToken(long Epoch, long Sequence)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Epoch}:{Sequence}");
}

/// <summary>One event of a stream with its position.</summary>
public sealed record StreamEvent<T>(StreamSequenceToken Token, T Item);

/// <summary>What a consumer missed since a token.</summary>
public sealed record StreamReplay<T>(
    bool TokenTooOld,
    StreamSequenceToken Latest,
    IReadOnlyList<StreamEvent<T>> Events)
{
    /// <summary>True when the consumer must reload from the source of truth (PostgreSQL).</summary>
    public bool ResyncRequired => TokenTooOld;
}

/// <summary>Receives a subscription's events, in order, one at a time.</summary>
public interface IAsyncObserver<in T>
{
    /// <summary>The next event. Ephemeral events arrive with sequence 0 and do not move the position.</summary>
    Task OnNextAsync(T item, StreamSequenceToken token);

    /// <summary>
    /// Events were lost for this subscriber (its token is too old, or the stream restarted in a new
    /// epoch): reload state from the source of truth. Live events keep coming after this call.
    /// </summary>
    Task OnResyncRequiredAsync(StreamSequenceToken latest);
}

/// <summary>A live subscription; dispose it to unsubscribe.</summary>
public interface IStreamSubscription : IAsyncDisposable
{
    /// <summary>The stream.</summary>
    StreamId StreamId { get; }

    /// <summary>True when the token given to SubscribeAsync was too old to replay from.</summary>
    bool ResyncRequired { get; }
}

/// <summary>A stream of events of type <typeparamref name="T"/>.</summary>
public interface IAsyncStream<T>
{
    /// <summary>The stream's id.</summary>
    StreamId Id { get; }

    /// <summary>Publishes an event; returns its position once every current subscriber has been sent it.</summary>
    Task<StreamSequenceToken> OnNextAsync(T item);

    /// <summary>
    /// Publishes an ephemeral event (typing, presence): sent to current subscribers only, without a
    /// position, not kept for replay. Observers receive it with <see cref="StreamSequenceToken.Sequence"/> 0.
    /// </summary>
    Task OnNextEphemeralAsync(T item);

    /// <summary>
    /// Subscribes. With <paramref name="fromToken"/>, first replays every event after it (or tells
    /// the observer to resync when it is too old), then delivers live events, in order.
    /// </summary>
    Task<IStreamSubscription> SubscribeAsync(IAsyncObserver<T> observer, StreamSequenceToken? fromToken = null);

    /// <summary>Returns the events after <paramref name="fromToken"/> from the replay buffer, or says it is too old.</summary>
    Task<StreamReplay<T>> ReadSinceAsync(StreamSequenceToken fromToken);
}

/// <summary>Gets streams (inside silos and in cluster clients alike).</summary>
public interface IStreamProvider
{
    /// <summary>The stream with the given id.</summary>
    IAsyncStream<T> GetStream<T>(StreamId id);
}
