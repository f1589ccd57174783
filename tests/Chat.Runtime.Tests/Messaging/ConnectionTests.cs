using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Chat.Runtime.Messaging;
using Xunit;

namespace Chat.Runtime.Tests.Messaging;

/// <summary>The framed TCP connection's ownership rules for pooled send buffers.</summary>
public sealed class ConnectionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_frame_refused_by_a_closed_connection_stays_with_the_caller_and_reaches_the_pool_once()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint).WaitAsync(Timeout);
        using var server = await listener.AcceptSocketAsync().WaitAsync(Timeout);
        var connection = new Connection(server, new IgnoringHandler(), sendQueueCapacity: 4);
        connection.Start();
        connection.Close(null);

        // A size nothing else in this test process rents, so the pool's answers below are ours alone.
        const int size = 123_457;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var frame = new OutgoingFrame(buffer, 16);

        await Assert.ThrowsAsync<SiloUnavailableException>(() => connection.SendAsync(frame).AsTask().WaitAsync(Timeout));
        frame.Return(); // the caller's duty after a refusal

        // Returned twice, the pool would hand the same array to the next two renters (two frames
        // writing into one buffer: corrupted bytes on the wire).
        var first = ArrayPool<byte>.Shared.Rent(size);
        var second = ArrayPool<byte>.Shared.Rent(size);
        Assert.NotSame(first, second);
        await connection.DisposeAsync().AsTask().WaitAsync(Timeout);
    }

    private sealed class IgnoringHandler : IFrameHandler
    {
        public void OnFrame(Connection connection, FrameType type, long correlationId, ReadOnlySequence<byte> body)
        {
        }

        public void OnClosed(Connection connection, Exception? error)
        {
        }
    }
}
