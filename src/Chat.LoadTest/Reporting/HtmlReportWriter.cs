using System.Globalization;
using System.Net;
using System.Text;
using Chat.LoadTest.Metrics;

namespace Chat.LoadTest.Reporting;

/// <summary>
/// Renders a report as one self-contained HTML page: a summary, latency over time, throughput over
/// time and the end-to-end latency histogram as inline SVG. No scripts, no fonts, no CDN: the page
/// opens offline and can be attached to a ticket as it is.
/// </summary>
public static class HtmlReportWriter
{
    private const int ChartWidth = 960;
    private const int ChartHeight = 320;
    private const int Left = 70;
    private const int Right = 20;
    private const int Top = 36;
    private const int Bottom = 46;

    /// <summary>Writes the page to a file (its directory is created).</summary>
    public static async Task WriteAsync(LoadReport report, string path, CancellationToken cancellationToken = default)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        await File.WriteAllTextAsync(path, Render(report), Encoding.UTF8, cancellationToken);
    }

    /// <summary>The page.</summary>
    public static string Render(LoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder(64 * 1024);
        var complete = report.Lost == 0 && report.Duplicated == 0 && report.OutOfOrder == 0;
        html.Append("""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Chat load test report</title>
            <style>
            body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1000px; color: #1d2430; }
            h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
            .muted { color: #667085; }
            table { border-collapse: collapse; margin: 8px 0; }
            td, th { border-bottom: 1px solid #e4e7ec; padding: 4px 14px 4px 0; text-align: left; vertical-align: top; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            .ok { color: #067647; font-weight: 600; } .bad { color: #b42318; font-weight: 600; }
            svg { background: #fff; border: 1px solid #e4e7ec; border-radius: 6px; }
            svg text { font: 11px system-ui, sans-serif; fill: #475467; }
            </style>
            </head>
            <body>
            """);
        html.Append("<h1>Chat load test report</h1>\n<p class=\"muted\">")
            .Append(E($"{report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC · {report.Users:N0} users · {report.Processes} load generator process(es) · {report.DurationSeconds:0.#} s measured · {string.Join(", ", report.Urls)}"))
            .Append("</p>\n");

        html.Append("<h2>Summary</h2>\n<table>\n");
        Row(html, "Completeness", complete
            ? "<span class=\"ok\">complete: 0 lost, 0 duplicated, 0 out of order</span>"
            : $"<span class=\"bad\">{E($"{report.Lost:N0} lost, {report.Duplicated:N0} duplicated, {report.OutOfOrder:N0} out of order")}</span>");
        Row(html, "Users connected", E($"{report.ConnectedUsers:N0} of {report.Users:N0} in {report.ConnectSeconds:0.##} s (connect p99 {report.ConnectLatencyMs.P99:0.#} ms)"));
        Row(html, "Messages", E($"{report.MessagesSent:N0} sent, {report.MessagesAcked:N0} acknowledged, {report.MessagesFailed:N0} failed"));
        Row(html, "Accepted", E($"{report.AcceptedPerSecond:N1} messages/s"));
        Row(html, "Deliveries", E($"{report.DeliveriesReceived:N0} of {report.DeliveriesExpected:N0} expected ({report.DeliveredPerSecond:N1}/s); {report.Unexpected:N0} unannounced"));
        Row(html, "Reconnects / resyncs", E($"{report.Reconnects:N0} / {report.Resyncs:N0}"));
        html.Append("</table>\n");

        html.Append("<h2>Latency (ms)</h2>\n<table>\n<tr><th></th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th><th>count</th></tr>\n");
        LatencyRow(html, "Send → acknowledgement", report.AckLatencyMs);
        LatencyRow(html, "Send → every recipient", report.EndToEndLatencyMs);
        LatencyRow(html, "Connect", report.ConnectLatencyMs);
        html.Append("</table>\n<p class=\"muted\">Latencies are measured from the scheduled send time (open loop), so a stalled system shows as latency, not as a lower rate.</p>\n");

        var timeline = report.Timeline;
        html.Append("<h2>Latency over time</h2>\n");
        html.Append(LineChart(
            "milliseconds per 1 s interval",
            [
                Series("end-to-end p50", "#2e90fa", timeline, p => Ms(p.EndToEnd, 50)),
                Series("end-to-end p99", "#f04438", timeline, p => Ms(p.EndToEnd, 99)),
                Series("end-to-end max", "#fdb022", timeline, p => Ms(p.EndToEnd, 100)),
                Series("ack p99", "#7a5af8", timeline, p => Ms(p.Ack, 99)),
            ],
            "ms"));

        html.Append("<h2>Throughput over time</h2>\n");
        html.Append(LineChart(
            "per second",
            [
                Series("sent", "#98a2b3", timeline, p => p.Sent),
                Series("acknowledged", "#12b76a", timeline, p => p.Acked),
                Series("delivered", "#2e90fa", timeline, p => p.Delivered),
                Series("errors", "#f04438", timeline, p => p.Errors),
            ],
            "/s"));

        html.Append("<h2>End-to-end latency histogram</h2>\n");
        html.Append(Histogram(LatencyHistogram.FromSnapshot(report.Histograms.EndToEnd)));

        if (report.Errors.Count > 0)
        {
            html.Append("<h2>Errors</h2>\n<table>\n<tr><th>code</th><th>count</th></tr>\n");
            foreach (var (code, count) in report.Errors.OrderByDescending(e => e.Value))
            {
                html.Append("<tr><td>").Append(E(code)).Append("</td><td class=\"n\">").Append(E(count.ToString("N0", CultureInfo.InvariantCulture))).Append("</td></tr>\n");
            }

            html.Append("</table>\n");
        }

        if (report.Workload is { } w)
        {
            html.Append("<h2>Workload</h2>\n<table>\n");
            Row(html, "Rate", E($"{w.MessagesPerMinutePerUser:0.##} messages per user per minute = {w.TargetMessagesPerSecond:N1}/s target (Poisson arrivals)"));
            Row(html, "Conversations", E($"{w.Conversations:N0}: {w.DirectConversationsPerUser} DM(s) per user, groups {w.Groups}"));
            Row(html, "Side traffic", E($"typing {w.TypingProbability:P0} of sends, reactions {w.ReactionProbability:P0} and mark-read {w.ReadProbability:P0} of deliveries"));
            Row(html, "Message size", E($"{w.MessageSize} characters"));
            Row(html, "Ramp-up", E($"{w.RampUpPerSecond:N0} connections/s"));
            html.Append("</table>\n");
        }

        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void Row(StringBuilder html, string name, string valueHtml) =>
        html.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(valueHtml).Append("</td></tr>\n");

    private static void LatencyRow(StringBuilder html, string name, LatencySummary s)
    {
        html.Append("<tr><th>").Append(E(name)).Append("</th>");
        foreach (var value in new[] { s.P50, s.P90, s.P99, s.P999, s.Max, s.Mean })
        {
            html.Append("<td class=\"n\">").Append(value.ToString("0.###", CultureInfo.InvariantCulture)).Append("</td>");
        }

        html.Append("<td class=\"n\">").Append(s.Count.ToString("N0", CultureInfo.InvariantCulture)).Append("</td></tr>\n");
    }

    private static double Ms(HistogramSnapshot snapshot, double percentile) =>
        snapshot.Count == 0 ? double.NaN : LatencyHistogram.FromSnapshot(snapshot).ValueAtPercentile(percentile) / 1000.0;

    private static ChartSeries Series(string name, string color, IReadOnlyList<TimelinePoint> timeline, Func<TimelinePoint, double> value) =>
        new(name, color, [.. timeline.Select(p => (p.T, value(p)))]);

    /// <summary>A line chart; NaN values (intervals without data) break the line.</summary>
    internal static string LineChart(string yTitle, IReadOnlyList<ChartSeries> series, string unit)
    {
        var svg = new StringBuilder();
        var points = series.SelectMany(s => s.Points).Where(p => !double.IsNaN(p.Y)).ToList();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{ChartWidth}\" height=\"{ChartHeight}\" viewBox=\"0 0 {ChartWidth} {ChartHeight}\" role=\"img\" aria-label=\"{E(yTitle)}\">\n");
        if (points.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{ChartWidth / 2}\" y=\"{ChartHeight / 2}\" text-anchor=\"middle\">no data</text>\n</svg>\n");
            return svg.ToString();
        }

        var xMax = Math.Max(1, points.Max(p => p.X));
        var yMax = NiceCeiling(points.Max(p => p.Y));
        double X(double x) => Left + (x / xMax * (ChartWidth - Left - Right));
        double Y(double y) => ChartHeight - Bottom - (y / yMax * (ChartHeight - Top - Bottom));

        Axes(svg, xMax, yMax, unit, X, Y);
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{Top - 14}\">{E(yTitle)}</text>\n");
        foreach (var s in series)
        {
            var path = new StringBuilder();
            var pen = 'M';
            foreach (var (x, y) in s.Points)
            {
                if (double.IsNaN(y))
                {
                    pen = 'M';
                    continue;
                }

                path.Append(CultureInfo.InvariantCulture, $"{pen}{X(x):0.#},{Y(y):0.#} ");
                pen = 'L';
            }

            svg.Append(CultureInfo.InvariantCulture, $"<path d=\"{path.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"1.6\"/>\n");
        }

        Legend(svg, series);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>A histogram over log-spaced bins (latencies span decades), bars as share of all values.</summary>
    internal static string Histogram(LatencyHistogram histogram)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{ChartWidth}\" height=\"{ChartHeight}\" viewBox=\"0 0 {ChartWidth} {ChartHeight}\" role=\"img\" aria-label=\"end-to-end latency histogram\">\n");
        if (histogram.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{ChartWidth / 2}\" y=\"{ChartHeight / 2}\" text-anchor=\"middle\">no data</text>\n</svg>\n");
            return svg.ToString();
        }

        // Bins of 1/8 decade from the smallest to the largest value (in ms, at least 0.01 ms).
        const double BinsPerDecade = 8;
        var lowMs = Math.Max(0.01, histogram.Min / 1000.0);
        var highMs = Math.Max(lowMs * 1.0001, histogram.Max / 1000.0);
        var first = Math.Floor(Math.Log10(lowMs) * BinsPerDecade);
        var last = Math.Ceiling(Math.Log10(highMs) * BinsPerDecade);
        var binCount = (int)Math.Max(1, last - first);
        var counts = new long[binCount];
        foreach (var (low, high, count) in histogram.Buckets())
        {
            var middleMs = Math.Max(0.01, (low + high) / 2000.0);
            var bin = (int)Math.Clamp(Math.Floor((Math.Log10(middleMs) * BinsPerDecade) - first), 0, binCount - 1);
            counts[bin] += count;
        }

        var maxShare = counts.Max() / (double)histogram.Count;
        var yMax = NiceCeiling(maxShare * 100);
        var width = (ChartWidth - Left - Right) / (double)binCount;
        double Y(double percent) => ChartHeight - Bottom - (percent / yMax * (ChartHeight - Top - Bottom));
        Axes(svg, binCount, yMax, "%", x => Left + (x * width), Y, xTicks: false);
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{Top - 14}\">share of deliveries per latency bin (log scale, ms)</text>\n");
        for (var i = 0; i < binCount; i++)
        {
            var percent = counts[i] * 100.0 / histogram.Count;
            if (counts[i] > 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left + (i * width) + 1:0.#}\" y=\"{Y(percent):0.#}\" width=\"{Math.Max(1, width - 2):0.#}\" height=\"{ChartHeight - Bottom - Y(percent):0.#}\" fill=\"#2e90fa\"><title>{E($"{Math.Pow(10, (first + i) / BinsPerDecade):0.###}–{Math.Pow(10, (first + i + 1) / BinsPerDecade):0.###} ms: {counts[i]:N0} ({percent:0.##} %)")}</title></rect>\n");
            }

            if (i % 2 == 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (i * width):0.#}\" y=\"{ChartHeight - Bottom + 16}\">{E(FormatMs(Math.Pow(10, (first + i) / BinsPerDecade)))}</text>\n");
            }
        }

        var row = 0;
        foreach (var (name, percentile, color) in new[] { ("p50", 50.0, "#12b76a"), ("p99", 99.0, "#f04438"), ("p99.9", 99.9, "#fdb022") })
        {
            // One label row each: p99 and p99.9 are often a pixel apart.
            var labelY = Top + 10 + (14 * row++);
            var ms = Math.Max(0.01, histogram.ValueAtPercentile(percentile) / 1000.0);
            var x = Left + (((Math.Log10(ms) * BinsPerDecade) - first) * width);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{Top}\" x2=\"{x:0.#}\" y2=\"{ChartHeight - Bottom}\" stroke=\"{color}\" stroke-dasharray=\"4 3\"/>\n");
            var nearRightEdge = x > ChartWidth - Right - 120;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(nearRightEdge ? x - 3 : x + 3):0.#}\" y=\"{labelY}\" text-anchor=\"{(nearRightEdge ? "end" : "start")}\" style=\"fill:{color}\">{E($"{name} {FormatMs(ms)} ms")}</text>\n");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Axes(StringBuilder svg, double xMax, double yMax, string unit, Func<double, double> x, Func<double, double> y, bool xTicks = true)
    {
        var bottom = ChartHeight - Bottom;
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{bottom}\" x2=\"{ChartWidth - Right}\" y2=\"{bottom}\" stroke=\"#98a2b3\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{bottom}\" stroke=\"#98a2b3\"/>\n");
        for (var i = 0; i <= 4; i++)
        {
            var value = yMax * i / 4;
            var yy = y(value);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{yy:0.#}\" x2=\"{ChartWidth - Right}\" y2=\"{yy:0.#}\" stroke=\"#f2f4f7\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{yy + 4:0.#}\" text-anchor=\"end\">{E(FormatValue(value))} {E(unit)}</text>\n");
        }

        if (xTicks)
        {
            for (var i = 0; i <= 6; i++)
            {
                var value = xMax * i / 6;
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x(value):0.#}\" y=\"{bottom + 16}\" text-anchor=\"middle\">{value:0.#} s</text>\n");
            }
        }
    }

    private static void Legend(StringBuilder svg, IReadOnlyList<ChartSeries> series)
    {
        var x = (double)Left;
        foreach (var s in series)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.#}\" y=\"{ChartHeight - 16}\" width=\"12\" height=\"3\" fill=\"{s.Color}\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 16:0.#}\" y=\"{ChartHeight - 11}\">{E(s.Name)}</text>\n");
            x += 30 + (s.Name.Length * 6.5);
        }
    }

    /// <summary>1, 2, 2.5 or 5 times a power of ten, at least <paramref name="value"/> (and never 0).</summary>
    internal static double NiceCeiling(double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * magnitude >= value)
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static string FormatValue(double value) => value switch
    {
        >= 1_000_000 => (value / 1_000_000).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 10_000 => (value / 1000).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString("0.###", CultureInfo.InvariantCulture),
    };

    private static string FormatMs(double ms) => ms.ToString(ms < 1 ? "0.##" : ms < 100 ? "0.#" : "0", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>One line of a chart.</summary>
    internal sealed record ChartSeries(string Name, string Color, IReadOnlyList<(double X, double Y)> Points);
}
