using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Chat.Runtime.Messaging;

/// <summary>Receives what arrives on a connection.</summary>
internal interface IFrameHandler
{
    /// <summary>A whole frame arrived. The body is only valid during the call.</summary>
    void OnFrame(Connection connection, FrameType type, long correlationId, ReadOnlySequence<byte> body);

    /// <summary>The connection ended (error is null for an orderly close).</summary>
    void OnClosed(Connection connection, Exception? error);
}

/// <summary>
/// One TCP connection carrying length-prefixed frames in both directions. Sends go through a
/// bounded queue (back-pressure: <see cref="SendAsync"/> waits when it is full) drained by one
/// writer loop that batches whatever is queued into one flush; one reader loop parses frames.
/// </summary>
internal sealed class Connection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly Channel<OutgoingFrame> _outgoing;
    private readonly IFrameHandler _handler;
    private readonly CancellationTokenSource _closing = new();
    private Task _loops = Task.CompletedTask;
    private Task _sendLoop = Task.CompletedTask;
    private int _closed;

    public Connection(Socket socket, IFrameHandler handler, int sendQueueCapacity)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 65536, minimumReadSize: 4096));
        _writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 65536));
        _handler = handler;
        _outgoing = Channel.CreateBounded<OutgoingFrame>(new BoundedChannelOptions(sendQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        RemoteEndPoint = socket.RemoteEndPoint?.ToString() ?? "?";
    }

    public string RemoteEndPoint { get; }

    /// <summary>Whatever the handshake told us about the peer.</summary>
    public object? Peer { get; set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public void Start()
    {
        _sendLoop = Task.Run(SendLoopAsync);
        _loops = Task.WhenAll(Task.Run(ReceiveLoopAsync), _sendLoop);
    }

    /// <summary>Queues a frame without waiting; false when the queue is full or the connection closed.</summary>
    public bool TrySend(OutgoingFrame frame)
    {
        if (_outgoing.Writer.TryWrite(frame))
        {
            return true;
        }

        return false;
    }

    /// <summary>
    /// Queues a frame, waiting for room. Throws when the connection is closed; the frame then stays
    /// the caller's to return (returning a pooled buffer twice would hand it to two frames at once).
    /// </summary>
    public async ValueTask SendAsync(OutgoingFrame frame)
    {
        try
        {
            await _outgoing.Writer.WriteAsync(frame).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new SiloUnavailableException($"Connection to {RemoteEndPoint} is closed.");
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_closing.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                {
                    _writer.Write(frame.Buffer.AsSpan(0, frame.Length));
                    frame.Return();
                }

                var flush = await _writer.FlushAsync(_closing.Token).ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }

            Close(null);
        }
        catch (Exception ex)
        {
            Close(ex);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(_closing.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (TryReadFrame(ref buffer, out var type, out var correlationId, out var body))
                {
                    _handler.OnFrame(this, type, correlationId, body);
                }

                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            Close(null);
        }
        catch (Exception ex)
        {
            Close(ex);
        }
    }

    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out FrameType type, out long correlationId, out ReadOnlySequence<byte> body)
    {
        type = default;
        correlationId = 0;
        body = default;
        if (buffer.Length < FrameBuilder.HeaderLength)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[FrameBuilder.HeaderLength];
        buffer.Slice(0, FrameBuilder.HeaderLength).CopyTo(header);
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < FrameBuilder.HeaderLength - 4 || length > FrameBuilder.MaxFrameLength)
        {
            throw new InvalidDataException($"Invalid frame length {length}.");
        }

        if (buffer.Length < 4 + length)
        {
            return false;
        }

        type = (FrameType)header[4];
        correlationId = BinaryPrimitives.ReadInt64LittleEndian(header[5..]);
        body = buffer.Slice(FrameBuilder.HeaderLength, length - (FrameBuilder.HeaderLength - 4));
        buffer = buffer.Slice(4 + length);
        return true;
    }

    /// <summary>Closes abruptly: nothing queued is sent.</summary>
    public void Close(Exception? error)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _outgoing.Writer.TryComplete();
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception)
        {
            // Already gone.
        }

        _socket.Dispose();
        while (_outgoing.Reader.TryRead(out var frame))
        {
            frame.Return();
        }

        _handler.OnClosed(this, error);
    }

    /// <summary>Sends what is queued, then closes.</summary>
    public async Task CloseGracefullyAsync(TimeSpan timeout)
    {
        _outgoing.Writer.TryComplete();
        try
        {
            await _sendLoop.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Timed out or failed: close anyway.
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Close(null);
        try
        {
            await _loops.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Loop errors were reported through OnClosed.
        }
    }
}
