using System.Globalization;
using Chat.LoadTest.Metrics;

namespace Chat.LoadTest.Reporting;

/// <summary>The closing summary of a run in the terminal.</summary>
public static class SummaryPrinter
{
    /// <summary>Writes the summary.</summary>
    public static void Print(LoadReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        var complete = report.Lost == 0 && report.Duplicated == 0 && report.OutOfOrder == 0;
        var lines = new[]
        {
            "",
            $"Load test: {report.Users:N0} users ({report.ConnectedUsers:N0} connected in {report.ConnectSeconds:0.##} s), {report.DurationSeconds:0.#} s, {report.Processes} process(es)",
            $"  messages      {report.MessagesSent:N0} sent, {report.MessagesAcked:N0} acked, {report.MessagesFailed:N0} failed; {report.AcceptedPerSecond:N1} accepted/s",
            $"  deliveries    {report.DeliveriesReceived:N0} of {report.DeliveriesExpected:N0} expected; {report.DeliveredPerSecond:N1} delivered/s; {report.Unexpected:N0} unannounced",
            $"  completeness  {(complete ? "complete" : "INCOMPLETE")}: {report.Lost:N0} lost, {report.Duplicated:N0} duplicated, {report.OutOfOrder:N0} out of order",
            $"  ack latency   {Format(report.AckLatencyMs)}",
            $"  end-to-end    {Format(report.EndToEndLatencyMs)}",
            $"  connect       {Format(report.ConnectLatencyMs)}",
            $"  client memory {(report.ClientMemory is { } m ? $"{m.ManagedBytesPerConnection / 1024.0:N1} KB managed, {m.WorkingSetBytesPerConnection / 1024.0:N1} KB working set per connection ({m.Connections:N0} connections)" : "n/a")}",
            $"  reconnects    {report.Reconnects:N0}, resyncs {report.Resyncs:N0} ({report.DeliveriesCaughtUp:N0} deliveries caught up from history)",
            $"  errors        {(report.Errors.Count == 0 ? "none" : string.Join(", ", report.Errors.Select(e => $"{e.Key} {e.Value:N0}")))}",
        };
        foreach (var line in lines)
        {
            output.WriteLine(line);
        }

        foreach (var a in report.Anomalies)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {a.Kind,-12}  at {a.AtSeconds:0.###} s: seq {a.Seq} of conversation {a.ConversationId} to {a.RecipientId} (highest before {a.HighestSeqBefore}{(a.CaughtUpBefore ? ", fetched by a catch-up and live already" : "")})"));
        }
    }

    private static string Format(LatencySummary s) => string.Create(CultureInfo.InvariantCulture,
        $"p50 {s.P50:0.###} ms, p90 {s.P90:0.###}, p99 {s.P99:0.###}, p99.9 {s.P999:0.###}, max {s.Max:0.###} ({s.Count:N0} samples)");
}
