using System.Diagnostics.Metrics;

namespace Chat.Frontend.Hosting;

/// <summary>
/// The frontend's instruments (meter <c>Chat.Frontend</c>, exported at <c>/metrics</c>): hub
/// connections and users, messages accepted per transport, events pushed to connections.
/// </summary>
internal sealed class FrontendMetrics
{
    public const string MeterName = "Chat.Frontend";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _delivered;

    public FrontendMetrics(IMeterFactory meters, Func<Realtime.ConnectionRegistry> registry)
    {
        var meter = meters.Create(MeterName);
        _accepted = meter.CreateCounter<long>("chat.frontend.messages.accepted", description: "Messages accepted (stored) through this frontend");
        _delivered = meter.CreateCounter<long>("chat.frontend.events.delivered", description: "Events pushed to hub connections by this frontend");
        meter.CreateObservableGauge("chat.frontend.connections", () => registry().ConnectionCount, description: "Open hub connections");
        meter.CreateObservableGauge("chat.frontend.users", () => registry().UserCount, description: "Users with at least one hub connection here");
    }

    public void MessageAccepted(string transport) => _accepted.Add(1, new KeyValuePair<string, object?>("transport", transport));

    public void EventDelivered() => _delivered.Add(1);
}
