using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Chat.Client.Internal;

/// <summary>Message types of the SignalR hub protocol.</summary>
internal static class HubMessageType
{
    public const int Invocation = 1;
    public const int StreamItem = 2;
    public const int Completion = 3;
    public const int StreamInvocation = 4;
    public const int CancelInvocation = 5;
    public const int Ping = 6;
    public const int Close = 7;
    public const int Ack = 8;
    public const int Sequence = 9;
}

/// <summary>
/// One parsed hub message. Payloads (arguments, result, item) are kept as ranges of the record they
/// were parsed from, so that only what a consumer needs is copied or deserialised.
/// </summary>
internal readonly record struct HubMessage(
    int Type,
    string? InvocationId,
    string? Target,
    string? Error,
    bool AllowReconnect,
    int ArgumentCount,
    Range FirstArgument,
    bool HasResult,
    Range Result);

/// <summary>
/// The JSON hub protocol of SignalR (version 1): records are JSON objects, each followed by the record
/// separator 0x1E. Only the parts a client needs are implemented: handshake, invocations (with and
/// without an id), completions, pings and close; everything else is parsed and ignored.
/// </summary>
internal static class HubProtocol
{
    public const byte RecordSeparator = 0x1E;

    public static ReadOnlyMemory<byte> HandshakeRequest { get; } = "{\"protocol\":\"json\",\"version\":1}\u001e"u8.ToArray();

    public static ReadOnlyMemory<byte> PingMessage { get; } = "{\"type\":6}\u001e"u8.ToArray();

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary>Parses one record (without its separator).</summary>
    /// <exception cref="InvalidDataException">The record is not a hub message.</exception>
    public static HubMessage Parse(ReadOnlySpan<byte> record)
    {
        var reader = new Utf8JsonReader(record);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidDataException("A hub message must be a JSON object.");
            }

            int? type = null;
            string? invocationId = null, target = null, error = null;
            var allowReconnect = false;
            var argumentCount = 0;
            Range firstArgument = default, result = default;
            var hasResult = false;

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.GetInt32();
                }
                else if (reader.ValueTextEquals("invocationId"u8))
                {
                    reader.Read();
                    invocationId = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
                }
                else if (reader.ValueTextEquals("target"u8))
                {
                    reader.Read();
                    target = reader.GetString();
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    error = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("allowReconnect"u8))
                {
                    reader.Read();
                    allowReconnect = reader.TokenType == JsonTokenType.True;
                }
                else if (reader.ValueTextEquals("result"u8))
                {
                    reader.Read();
                    result = ValueRange(ref reader);
                    hasResult = true;
                }
                else if (reader.ValueTextEquals("arguments"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        throw new InvalidDataException("'arguments' must be an array.");
                    }

                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        var range = ValueRange(ref reader);
                        if (argumentCount++ == 0)
                        {
                            firstArgument = range;
                        }
                    }
                }
                else
                {
                    // headers, item, streamIds, sequenceId, ...: not needed by this client.
                    reader.Read();
                    reader.Skip();
                }
            }

            if (type is null)
            {
                throw new InvalidDataException("A hub message needs a 'type'.");
            }

            return new HubMessage(type.Value, invocationId, target, error, allowReconnect, argumentCount, firstArgument, hasResult, result);
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"Malformed hub message: {exception.Message}", exception);
        }
        catch (InvalidOperationException exception)
        {
            // Utf8JsonReader's Get* throw this for a token of the wrong kind.
            throw new InvalidDataException($"Malformed hub message: {exception.Message}", exception);
        }
    }

    /// <summary>Parses the handshake response; returns its error, or null when the server accepted.</summary>
    public static string? ParseHandshakeResponse(ReadOnlySpan<byte> record)
    {
        try
        {
            var reader = new Utf8JsonReader(record);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return "The handshake response is not a JSON object.";
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isError = reader.ValueTextEquals("error"u8);
                reader.Read();
                if (isError && reader.TokenType == JsonTokenType.String)
                {
                    return reader.GetString();
                }

                reader.Skip();
            }

            return null;
        }
        catch (JsonException exception)
        {
            return $"Malformed handshake response: {exception.Message}";
        }
    }

    /// <summary>
    /// Reads the event position (<c>epoch</c>, <c>seq</c>) of an event argument: both must be top-level
    /// integers of a JSON object, else the event is ephemeral (null).
    /// </summary>
    public static EventPosition? ReadPosition(ReadOnlySpan<byte> argument)
    {
        if (argument.IsEmpty || argument[0] != (byte)'{')
        {
            return null;
        }

        var reader = new Utf8JsonReader(argument);
        long? epoch = null, seq = null;
        try
        {
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isEpoch = reader.ValueTextEquals("epoch"u8);
                var isSeq = !isEpoch && reader.ValueTextEquals("seq"u8);
                reader.Read();
                if ((isEpoch || isSeq) && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
                {
                    if (isEpoch)
                    {
                        epoch = value;
                    }
                    else
                    {
                        seq = value;
                    }

                    if (epoch is not null && seq is not null)
                    {
                        return new EventPosition(epoch.Value, seq.Value);
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return null;
    }

    /// <summary>Writes an invocation record: with an id when a completion is expected, without for fire-and-forget.</summary>
    public static void WriteInvocation(PooledBufferWriter output, long? invocationId, string target, ReadOnlySpan<object?> arguments, JsonSerializerOptions options)
    {
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("type"u8, HubMessageType.Invocation);
            if (invocationId is { } id)
            {
                Span<byte> digits = stackalloc byte[20];
                id.TryFormat(digits, out var length, default, System.Globalization.CultureInfo.InvariantCulture);
                writer.WriteString("invocationId"u8, digits[..length]);
            }

            writer.WriteString("target"u8, target);
            writer.WriteStartArray("arguments"u8);
            foreach (var argument in arguments)
            {
                if (argument is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    JsonSerializer.Serialize(writer, argument, options.GetTypeInfo(argument.GetType()));
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        output.Write(RecordSeparator);
    }

    /// <summary>Writes a completion with an error (the answer to a server invocation that wants a result we do not give).</summary>
    public static void WriteCompletionError(PooledBufferWriter output, string invocationId, string error)
    {
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("type"u8, HubMessageType.Completion);
            writer.WriteString("invocationId"u8, invocationId);
            writer.WriteString("error"u8, error);
            writer.WriteEndObject();
        }

        output.Write(RecordSeparator);
    }

    /// <summary>Deserialises a payload range, or gives the default when it is absent.</summary>
    public static T? Deserialize<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> info) =>
        json.IsEmpty ? default : JsonSerializer.Deserialize(json, info);

    private static Range ValueRange(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return new Range(start, (int)reader.BytesConsumed);
    }
}
