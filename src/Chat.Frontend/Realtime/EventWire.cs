using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.Grains;

namespace Chat.Frontend.Realtime;

/// <summary>
/// One event on its way to a user's connections: its name (the client method), its JSON payload
/// (built once and shared by every connection) and its position; ephemeral events have none.
/// </summary>
internal sealed record OutgoingEvent(string Name, JsonElement Payload, EventPosition? Token, DeliveryTicket? Ticket = null);

/// <summary>Fires its action the first time any connection got the event (delivery receipts).</summary>
internal sealed class DeliveryTicket(Action onDelivered)
{
    private int _delivered;

    public void Delivered()
    {
        if (Interlocked.Exchange(ref _delivered, 1) == 0)
        {
            onDelivered();
        }
    }
}

/// <summary>
/// The wire shape of events (SPEC sections 6 and 12): <c>{type, epoch, seq, conversationId, ...}</c> where
/// epoch/seq are the user's event position; ephemeral events (typing, presence) have no position.
/// </summary>
internal static class EventWire
{
    /// <summary>Sent when a frontend stops: connect again (to any frontend) and resume.</summary>
    public const string Reconnect = "reconnect";

    /// <summary>Sent when events were lost for the user: reload the inbox and catch up with <c>after=seq</c>.</summary>
    public const string Resync = "resync";

    public static OutgoingEvent Create(UserEvent evt, EventPosition? position, JsonSerializerOptions options, DeliveryTicket? ticket = null)
    {
        var positioned = position is { Seq: > 0 };
        var token = position.GetValueOrDefault();
        var body = JsonSerializer.SerializeToElement(evt, options);
        var payload = Write(writer =>
        {
            writer.WriteString("type", evt.Type);
            if (positioned)
            {
                writer.WriteNumber("epoch", token.Epoch);
                writer.WriteNumber("seq", token.Seq);
            }

            foreach (var property in body.EnumerateObject())
            {
                // The discriminator is written above; user-level events are about no conversation.
                if (property.NameEquals("type") || (property.NameEquals("conversationId") && evt.ConversationId == Guid.Empty))
                {
                    continue;
                }

                property.WriteTo(writer);
            }
        });
        return new OutgoingEvent(evt.Type, payload, positioned ? token : null, ticket);
    }

    public static OutgoingEvent ResyncEvent(EventPosition latest) =>
        new(Resync, Write(writer =>
        {
            writer.WriteString("type", Resync);
            writer.WriteNumber("epoch", latest.Epoch);
            writer.WriteNumber("seq", latest.Seq);
        }), latest);

    public static JsonElement ReconnectPayload(string reason) => Write(writer =>
    {
        writer.WriteString("type", Reconnect);
        writer.WriteString("reason", reason);
    });

    private static JsonElement Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        // Immutable and safe to serialise from many connections at once.
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}

/// <summary>
/// The answer of the hub's <c>Resume</c>: the missed events in order (<c>{events, epoch, seq}</c>), or
/// <c>{resync: true, epoch, seq}</c> when they cannot be replayed; epoch/seq is the position reached.
/// </summary>
/// <summary>A replay from the user's event log, as wire events (what <see cref="ConnectionFeed.Resume"/> merges).</summary>
internal sealed record WireReplay(bool TooOld, EventPosition Latest, IReadOnlyList<OutgoingEvent> Events);

public sealed record ResumeResult(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<JsonElement>? Events,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Resync,
    long Epoch,
    long Seq);
