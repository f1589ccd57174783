using System.Text.Json;

namespace Chat.Runtime.Streams;

/// <summary>The <see cref="IStreamProvider"/> of a silo or cluster client.</summary>
internal sealed class StreamProvider(StreamSubscriptionManager subscriptions) : IStreamProvider
{
    public IAsyncStream<T> GetStream<T>(StreamId id) => new AsyncStream<T>(id, subscriptions);
}

internal sealed class AsyncStream<T>(StreamId id, StreamSubscriptionManager subscriptions) : IAsyncStream<T>
{
    public StreamId Id => id;

    public Task<StreamSequenceToken> OnNextAsync(T item) =>
        subscriptions.GrainOf(id).Publish(JsonSerializer.SerializeToElement(item, subscriptions.SerializerOptions));

    public Task OnNextEphemeralAsync(T item) =>
        subscriptions.GrainOf(id).PublishEphemeral(JsonSerializer.SerializeToElement(item, subscriptions.SerializerOptions));

    public Task<IStreamSubscription> SubscribeAsync(IAsyncObserver<T> observer, StreamSequenceToken? fromToken = null) =>
        subscriptions.SubscribeAsync(id, observer, fromToken);

    public async Task<StreamReplay<T>> ReadSinceAsync(StreamSequenceToken fromToken)
    {
        var result = await subscriptions.GrainOf(id).ReadSince(fromToken).ConfigureAwait(false);
        var events = result.Replay
            .Select(e => new StreamEvent<T>(new StreamSequenceToken(result.Epoch, e.Sequence), e.Payload.Deserialize<T>(subscriptions.SerializerOptions)!))
            .ToArray();
        return new StreamReplay<T>(result.TokenTooOld, new StreamSequenceToken(result.Epoch, result.LatestSequence), events);
    }
}
