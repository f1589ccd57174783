using Chat.LoadTest.Metrics;

namespace Chat.LoadTest.Reporting;

/// <summary>
/// Combines the reports of load generators that ran side by side (each with its own users and
/// conversations): counts add up, histograms merge exactly, percentiles and rates are recomputed,
/// and timelines are aligned on wall-clock seconds.
/// </summary>
public static class ReportMerger
{
    /// <summary>Merges one or more reports.</summary>
    public static LoadReport Merge(IReadOnlyList<LoadReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Count == 0)
        {
            throw new ArgumentException("Nothing to merge.", nameof(reports));
        }

        var started = reports.Min(r => r.StartedAt);
        var duration = reports.Max(r => (r.StartedAt - started).TotalSeconds + r.DurationSeconds);
        var ack = Merge(reports.Select(r => r.Histograms.Ack));
        var endToEnd = Merge(reports.Select(r => r.Histograms.EndToEnd));
        var connect = Merge(reports.Select(r => r.Histograms.Connect));
        var acked = reports.Sum(r => r.MessagesAcked);
        var received = reports.Sum(r => r.DeliveriesReceived);
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (code, count) in reports.SelectMany(r => r.Errors))
        {
            errors[code] = errors.GetValueOrDefault(code) + count;
        }

        return new LoadReport
        {
            StartedAt = started,
            Urls = [.. reports.SelectMany(r => r.Urls).Distinct(StringComparer.Ordinal)],
            Processes = reports.Sum(r => r.Processes),
            Users = reports.Sum(r => r.Users),
            ConnectedUsers = reports.Sum(r => r.ConnectedUsers),
            DurationSeconds = Math.Round(duration, 3),
            MessagesSent = reports.Sum(r => r.MessagesSent),
            MessagesAcked = acked,
            MessagesFailed = reports.Sum(r => r.MessagesFailed),
            DeliveriesExpected = reports.Sum(r => r.DeliveriesExpected),
            DeliveriesReceived = received,
            Lost = reports.Sum(r => r.Lost),
            Duplicated = reports.Sum(r => r.Duplicated),
            OutOfOrder = reports.Sum(r => r.OutOfOrder),
            Anomalies = [.. reports.SelectMany(r => r.Anomalies)],
            Unexpected = reports.Sum(r => r.Unexpected),
            AcceptedPerSecond = Rate(acked, duration),
            DeliveredPerSecond = Rate(received, duration),
            AckLatencyMs = LatencySummary.Of(ack),
            EndToEndLatencyMs = LatencySummary.Of(endToEnd),
            ConnectLatencyMs = LatencySummary.Of(connect),
            ConnectSeconds = reports.Max(r => r.ConnectSeconds),
            ClientMemory = ClientMemory.Merge(reports.Select(r => r.ClientMemory)),
            Reconnects = reports.Sum(r => r.Reconnects),
            Resyncs = reports.Sum(r => r.Resyncs),
            DeliveriesCaughtUp = reports.Sum(r => r.DeliveriesCaughtUp),
            Errors = errors,
            Workload = reports[0].Workload,
            Timeline = MergeTimelines(reports, started),
            Histograms = new ReportHistograms(ack.ToSnapshot(), endToEnd.ToSnapshot(), connect.ToSnapshot()),
        };
    }

    /// <summary>Rate per second, rounded to 0.1.</summary>
    public static double Rate(long count, double seconds) => seconds <= 0 ? 0 : Math.Round(count / seconds, 1);

    private static LatencyHistogram Merge(IEnumerable<HistogramSnapshot> snapshots)
    {
        var merged = new LatencyHistogram();
        foreach (var snapshot in snapshots)
        {
            merged.Add(LatencyHistogram.FromSnapshot(snapshot));
        }

        return merged;
    }

    private static List<TimelinePoint> MergeTimelines(IReadOnlyList<LoadReport> reports, DateTimeOffset started)
    {
        var seconds = new SortedDictionary<long, List<TimelinePoint>>();
        foreach (var report in reports)
        {
            var offset = (report.StartedAt - started).TotalSeconds;
            foreach (var point in report.Timeline)
            {
                var second = (long)Math.Round(offset + point.T);
                if (!seconds.TryGetValue(second, out var points))
                {
                    seconds[second] = points = [];
                }

                points.Add(point);
            }
        }

        return [.. seconds.Select(entry => new TimelinePoint(
            entry.Key,
            entry.Value.Sum(p => p.Connected),
            entry.Value.Sum(p => p.Sent),
            entry.Value.Sum(p => p.Acked),
            entry.Value.Sum(p => p.Delivered),
            entry.Value.Sum(p => p.Errors),
            Merge(entry.Value.Select(p => p.Ack)).ToSnapshot(),
            Merge(entry.Value.Select(p => p.EndToEnd)).ToSnapshot()))];
    }
}
