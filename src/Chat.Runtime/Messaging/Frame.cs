using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Chat.Runtime.Messaging;

/// <summary>Kinds of frames on a connection (see docs/protocol.md).</summary>
internal enum FrameType : byte
{
    Hello = 1,
    Request = 2,
    Response = 3,
    StreamEvent = 4,
    Ping = 5,
    Pong = 6,
}

/// <summary>Outcome carried by a response frame.</summary>
internal enum ResponseStatus : byte
{
    Ok = 0,
    Exception = 1,

    /// <summary>The receiver does not own the grain in a newer view: refresh and resend (not executed).</summary>
    Moved = 2,

    /// <summary>The receiver is shutting down or fenced (not executed): retryable.</summary>
    Unavailable = 3,
}

[Flags]
internal enum RequestFrameFlags : byte
{
    None = 0,
    OneWay = 1,
}

/// <summary>A serialised frame waiting to be written: a pooled buffer and its length.</summary>
internal readonly record struct OutgoingFrame(byte[] Buffer, int Length)
{
    public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
}

/// <summary>
/// Builds one frame: <c>int32 length | byte type | int64 correlation | body</c>, little-endian,
/// into a pooled buffer. Reused (Reset) between frames; JSON bodies are written straight into it.
/// </summary>
internal sealed class FrameBuilder : IBufferWriter<byte>
{
    public const int HeaderLength = 4 + 1 + 8;
    public const int MaxFrameLength = 64 * 1024 * 1024;

    private byte[] _buffer = new byte[4096];
    private int _length;
    private Utf8JsonWriter? _json;

    public void Begin(FrameType type, long correlationId)
    {
        _length = HeaderLength;
        _buffer[4] = (byte)type;
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(5), correlationId);
    }

    public void WriteByte(byte value)
    {
        GetSpan(1)[0] = value;
        Advance(1);
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(GetSpan(4), value);
        Advance(4);
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(GetSpan(8), value);
        Advance(8);
    }

    public void WriteString(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var span = GetSpan(4 + max);
        var written = Encoding.UTF8.GetBytes(value, span[4..]);
        BinaryPrimitives.WriteInt32LittleEndian(span, written);
        Advance(4 + written);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Advance(bytes.Length);
    }

    /// <summary>A JSON writer appending to this frame; flush it before <see cref="Complete"/>.</summary>
    public Utf8JsonWriter Json()
    {
        if (_json is null)
        {
            _json = new Utf8JsonWriter(this, new JsonWriterOptions { SkipValidation = true });
        }
        else
        {
            _json.Reset(this);
        }

        return _json;
    }

    /// <summary>Copies the frame into a pooled buffer owned by the returned frame.</summary>
    public OutgoingFrame Complete()
    {
        if (_length > MaxFrameLength)
        {
            throw new InvalidOperationException($"A frame of {_length} bytes exceeds the {MaxFrameLength} byte limit.");
        }

        BinaryPrimitives.WriteInt32LittleEndian(_buffer, _length - 4);
        var copy = ArrayPool<byte>.Shared.Rent(_length);
        _buffer.AsSpan(0, _length).CopyTo(copy);
        var frame = new OutgoingFrame(copy, _length);
        if (_buffer.Length > 1024 * 1024)
        {
            // Do not keep a huge buffer around because of one large message.
            _buffer = new byte[4096];
        }

        return frame;
    }

    public void Advance(int count) => _length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_length);
    }

    private void Ensure(int sizeHint)
    {
        var needed = _length + Math.Max(sizeHint, 256);
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }
    }
}

/// <summary>Reads the fields of a frame body in order.</summary>
internal ref struct FrameBodyReader
{
    private ReadOnlySequence<byte> _rest;

    public FrameBodyReader(ReadOnlySequence<byte> body) => _rest = body;

    public readonly ReadOnlySequence<byte> Rest => _rest;

    public byte ReadByte()
    {
        var value = _rest.FirstSpan.Length > 0 ? _rest.FirstSpan[0] : Slice(1)[0];
        _rest = _rest.Slice(1);
        return value;
    }

    public int ReadInt32()
    {
        var value = BinaryPrimitives.ReadInt32LittleEndian(Slice(4));
        _rest = _rest.Slice(4);
        return value;
    }

    public long ReadInt64()
    {
        var value = BinaryPrimitives.ReadInt64LittleEndian(Slice(8));
        _rest = _rest.Slice(8);
        return value;
    }

    public string ReadString()
    {
        var length = ReadInt32();
        if (length < 0 || length > _rest.Length)
        {
            throw new InvalidDataException("Malformed string in frame.");
        }

        var value = Encoding.UTF8.GetString(_rest.Slice(0, length));
        _rest = _rest.Slice(length);
        return value;
    }

    private readonly ReadOnlySpan<byte> Slice(int count)
    {
        if (_rest.Length < count)
        {
            throw new InvalidDataException("Frame body is shorter than its fields.");
        }

        if (_rest.FirstSpan.Length >= count)
        {
            return _rest.FirstSpan[..count];
        }

        return _rest.Slice(0, count).ToArray();
    }
}
