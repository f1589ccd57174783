using System.Text.Json;
using Chat.Runtime.Messaging;

namespace Chat.Runtime.Streams;

/// <summary>
/// Carries stream events from stream grains to subscriber endpoints: in-process subscribers
/// directly, cluster clients over the connection they opened to this silo, other silos over this
/// silo's connection to them. One connection per endpoint keeps the events of a stream in order.
/// </summary>
internal sealed class StreamDelivery
{
    private MessageCenter? _messages;
    private StreamEndpoint _self = StreamEndpoint.Local;

    public StreamDelivery(StreamSubscriptionManager local) => Local = local;

    /// <summary>This process's own subscriptions.</summary>
    public StreamSubscriptionManager Local { get; }

    /// <summary>Connects delivery to the silo's connections once it has joined a cluster.</summary>
    public void Attach(MessageCenter messages, SiloAddress self)
    {
        _messages = messages;
        _self = StreamEndpoint.Silo(self);
        Local.Endpoint = _self;
        messages.OnStreamEvent = (_, body) => Local.OnFrame(body);
    }

    public void Push(string endpoint, StreamId stream, long epoch, StoredStreamEvent evt)
    {
        if (endpoint == _self.Id || endpoint == StreamEndpoint.Local.Id)
        {
            Local.OnEvent(stream, epoch, evt.Sequence, evt.Payload);
            return;
        }

        var messages = _messages;
        if (messages is null)
        {
            return;
        }

        if (endpoint.StartsWith("client:", StringComparison.Ordinal))
        {
            messages.SendStreamEventToClient(endpoint["client:".Length..], b => Write(b, stream, epoch, evt));
        }
        else if (endpoint.StartsWith("silo:", StringComparison.Ordinal))
        {
            messages.SendStreamEventToSilo(SiloAddress.Parse(endpoint["silo:".Length..]), b => Write(b, stream, epoch, evt));
        }
    }

    private static void Write(FrameBuilder builder, StreamId stream, long epoch, StoredStreamEvent evt)
    {
        builder.WriteString(stream.Namespace);
        builder.WriteString(stream.Key);
        builder.WriteInt64(epoch);
        builder.WriteInt64(evt.Sequence);
        var json = builder.Json();
        evt.Payload.WriteTo(json);
        json.Flush();
    }

    /// <summary>Reads a stream event frame body.</summary>
    public static (StreamId Stream, long Epoch, long Sequence, JsonElement Payload) Read(System.Buffers.ReadOnlySequence<byte> body)
    {
        var reader = new FrameBodyReader(body);
        var stream = new StreamId(reader.ReadString(), reader.ReadString());
        var epoch = reader.ReadInt64();
        var sequence = reader.ReadInt64();
        var json = new Utf8JsonReader(reader.Rest);
        var payload = JsonElement.ParseValue(ref json);
        return (stream, epoch, sequence, payload);
    }
}
