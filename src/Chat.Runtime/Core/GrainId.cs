using System.Text;

namespace Chat.Runtime;

/// <summary>
/// Identity of a grain: its type name and its key, both strings. The text form is <c>type/key</c>.
/// Guid, integer and compound keys are conveniences over the key string (see <see cref="GrainKeys"/>).
/// </summary>
public readonly record struct GrainId
{
    /// <summary>Creates an id; the type may not contain '/'.</summary>
    public GrainId(string type, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(key);
        if (type.Contains('/'))
        {
            throw new ArgumentException("A grain type name cannot contain '/'.", nameof(type));
        }

        Type = type;
        Key = key;
    }

    /// <summary>The grain type name (the interface's <see cref="GrainTypeAttribute"/> or its name).</summary>
    public string Type { get; }

    /// <summary>The key, as a string.</summary>
    public string Key { get; }

    /// <summary>
    /// A hash that is identical in every process and on every machine (xxHash32 of the UTF-8 text
    /// form, seed 0). Placement depends on it, so it must never change: test vectors pin it.
    /// </summary>
    public uint GetStableHash()
    {
        var byteCount = Encoding.UTF8.GetByteCount(Type) + 1 + Encoding.UTF8.GetByteCount(Key);
        byte[]? rented = null;
        Span<byte> buffer = byteCount <= 512 ? stackalloc byte[byteCount] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(byteCount));
        try
        {
            var written = Encoding.UTF8.GetBytes(Type, buffer);
            buffer[written++] = (byte)'/';
            written += Encoding.UTF8.GetBytes(Key, buffer[written..]);
            return StableHash.XxHash32(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Parses the text form <c>type/key</c>.</summary>
    public static GrainId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf('/');
        if (slash <= 0)
        {
            throw new FormatException($"'{text}' is not a grain id (expected type/key).");
        }

        return new GrainId(text[..slash], text[(slash + 1)..]);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Type}/{Key}";
}
