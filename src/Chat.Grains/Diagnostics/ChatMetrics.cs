using System.Diagnostics.Metrics;

namespace Chat.Grains.Diagnostics;

/// <summary>
/// The chat domain's instruments on a silo (meter <c>Chat.Grains</c>, exported at <c>/metrics</c>
/// beside Orleans' own): messages stored, user events positioned, events sent to frontends' streams.
/// </summary>
public sealed class ChatMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Chat.Grains";

    private readonly Counter<long> _messagesStored;
    private readonly Counter<long> _eventsPositioned;
    private readonly Counter<long> _eventsSent;
    private readonly Counter<long> _sendFailures;

    /// <summary>Creates the instruments.</summary>
    public ChatMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _messagesStored = meter.CreateCounter<long>("chat.messages.stored", description: "Messages committed to PostgreSQL by conversation grains");
        _eventsPositioned = meter.CreateCounter<long>("chat.events.positioned", description: "User events positioned in the users' event logs");
        _eventsSent = meter.CreateCounter<long>("chat.events.sent", description: "User events sent to frontends' streams (one per frontend holding the user)");
        _sendFailures = meter.CreateCounter<long>("chat.events.send_failures", description: "Sends to frontends' streams that failed (the frontends catch up from the log)");
    }

    internal void MessageStored() => _messagesStored.Add(1);

    internal void EventPositioned() => _eventsPositioned.Add(1);

    internal void EventsSent(int frontends) => _eventsSent.Add(frontends);

    internal void SendFailed() => _sendFailures.Add(1);
}
