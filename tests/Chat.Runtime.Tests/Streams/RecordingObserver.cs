using System.Collections.Concurrent;
using Chat.Runtime.Streams;

namespace Chat.Runtime.Tests.Streams;

public sealed record Note(int Number, string Text);

/// <summary>Records what a subscription delivers, and checks it never overlaps itself.</summary>
public sealed class RecordingObserver<T> : IAsyncObserver<T>
{
    private int _inside;

    public ConcurrentQueue<(T Item, StreamSequenceToken Token)> Received { get; } = new();

    public ConcurrentQueue<StreamSequenceToken> Resyncs { get; } = new();

    public int Overlaps { get; private set; }

    public async Task OnNextAsync(T item, StreamSequenceToken token)
    {
        if (Interlocked.Increment(ref _inside) > 1)
        {
            Overlaps++;
        }

        await Task.Yield();
        Received.Enqueue((item, token));
        Interlocked.Decrement(ref _inside);
    }

    public Task OnResyncRequiredAsync(StreamSequenceToken latest)
    {
        Resyncs.Enqueue(latest);
        return Task.CompletedTask;
    }
}
