using System.Text.Json;
using Chat.LoadTest.Metrics;
using Chat.LoadTest.Reporting;

namespace Chat.LoadTest.Tests;

public sealed class ReportTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_json_report_has_the_fields_the_issue_names()
    {
        var json = ReportJson.Serialize(Report(Start, 100, [1000, 2000, 3000]));
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;

        foreach (var field in new[]
        {
            "users", "durationSeconds", "messagesSent", "messagesAcked", "deliveriesExpected", "deliveriesReceived", "lost",
            "duplicated", "outOfOrder", "acceptedPerSecond", "deliveredPerSecond", "ackLatencyMs", "endToEndLatencyMs", "connectSeconds", "errors",
        })
        {
            Assert.True(root.TryGetProperty(field, out _), $"the report has '{field}'");
        }

        foreach (var latency in new[] { "ackLatencyMs", "endToEndLatencyMs" })
        {
            foreach (var percentile in new[] { "p50", "p90", "p99", "p999", "max" })
            {
                Assert.Equal(JsonValueKind.Number, root.GetProperty(latency).GetProperty(percentile).ValueKind);
            }
        }

        Assert.Equal(4, root.GetProperty("errors").GetProperty("RATE_LIMITED").GetInt64());
    }

    [Fact]
    public async Task A_report_survives_a_round_trip_through_its_file()
    {
        var report = Report(Start, 100, [1000, 2000, 3000]);
        var path = Path.Combine(Path.GetTempPath(), $"report-{Guid.NewGuid():N}.json");
        try
        {
            await ReportJson.WriteAsync(report, path);
            var read = await ReportJson.ReadAsync(path);

            Assert.Equal(report.Users, read.Users);
            Assert.Equal(report.EndToEndLatencyMs, read.EndToEndLatencyMs);
            Assert.Equal(report.Errors, read.Errors);
            Assert.Equal(report.Timeline.Count, read.Timeline.Count);
            Assert.Equal(report.Histograms.EndToEnd.Count, read.Histograms.EndToEnd.Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Merged_reports_add_counts_and_recompute_percentiles_from_the_combined_histograms()
    {
        var first = Report(Start, 100, [1000, 2000, 3000]);
        var second = Report(Start.AddSeconds(2), 50, [40_000, 50_000]);

        var merged = ReportMerger.Merge([first, second]);

        var all = new LatencyHistogram();
        foreach (var value in new long[] { 1000, 2000, 3000, 40_000, 50_000 })
        {
            all.Record(value);
        }

        Assert.Equal(2, merged.Processes);
        Assert.Equal(150, merged.Users);
        Assert.Equal(first.MessagesAcked + second.MessagesAcked, merged.MessagesAcked);
        Assert.Equal(first.Lost + second.Lost, merged.Lost);
        Assert.Equal(LatencySummary.Of(all), merged.EndToEndLatencyMs);
        Assert.Equal(8, merged.Errors["RATE_LIMITED"]);
        // The second started 2 s later and ran 10 s: together they span 12 s.
        Assert.Equal(12, merged.DurationSeconds);
        Assert.Equal(ReportMerger.Rate(merged.MessagesAcked, 12), merged.AcceptedPerSecond);
        Assert.Equal(Math.Max(first.ConnectSeconds, second.ConnectSeconds), merged.ConnectSeconds);
    }

    [Fact]
    public void Merged_timelines_are_aligned_on_wall_clock_seconds()
    {
        var first = Report(Start, 100, [1000]);
        var second = Report(Start.AddSeconds(2), 50, [2000]);

        var merged = ReportMerger.Merge([first, second]);

        var points = merged.Timeline.ToDictionary(p => p.T);
        Assert.Equal(first.Timeline[0].Sent, points[1].Sent);
        Assert.Equal(first.Timeline[2].Sent + second.Timeline[0].Sent, points[3].Sent);
        // Only the first second of each report has a latency: the first's at 1 s, the second's at 3 s.
        Assert.Equal(1, points[1].EndToEnd.Count);
        Assert.Equal(1, points[3].EndToEnd.Count);
        Assert.Equal(0, points[2].EndToEnd.Count);
    }

    [Fact]
    public void The_html_page_is_self_contained_with_charts_and_escapes_what_it_shows()
    {
        var report = Report(Start, 100, [1000, 2000, 3000, 250_000]) with { Urls = ["http://x/<script>alert(1)</script>"] };

        var html = HtmlReportWriter.Render(report);

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Equal(3, CountOf(html, "<svg "));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("end-to-end p99", html, StringComparison.Ordinal);
        Assert.Contains("RATE_LIMITED", html, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_report_still_renders()
    {
        var html = HtmlReportWriter.Render(new LoadReport());

        Assert.Contains("no data", html, StringComparison.Ordinal);
        Assert.EndsWith("</html>\n", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0.7, 1)]
    [InlineData(1.2, 2)]
    [InlineData(2.2, 2.5)]
    [InlineData(4, 5)]
    [InlineData(7.5, 10)]
    [InlineData(1234, 2000)]
    public void Chart_scales_end_on_round_numbers(double value, double expected) =>
        Assert.Equal(expected, HtmlReportWriter.NiceCeiling(value), 9);

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static LoadReport Report(DateTimeOffset startedAt, int users, long[] endToEndMicros)
    {
        var endToEnd = new LatencyHistogram();
        var ack = new LatencyHistogram();
        foreach (var value in endToEndMicros)
        {
            endToEnd.Record(value);
            ack.Record(value / 2);
        }

        var timeline = Enumerable.Range(1, 10).Select(t =>
        {
            var interval = new LatencyHistogram();
            if (t == 1)
            {
                interval.Record(endToEndMicros[0]);
            }

            return new TimelinePoint(t, users, 10 * t, 10 * t, 20 * t, 0, HistogramSnapshot.Empty, interval.ToSnapshot());
        }).ToArray();
        return new LoadReport
        {
            StartedAt = startedAt,
            Urls = ["http://127.0.0.1:5080/"],
            Users = users,
            ConnectedUsers = users,
            DurationSeconds = 10,
            MessagesSent = 500,
            MessagesAcked = 490,
            MessagesFailed = 10,
            DeliveriesExpected = 2000,
            DeliveriesReceived = 1999,
            Lost = 1,
            AcceptedPerSecond = 49,
            DeliveredPerSecond = 199.9,
            AckLatencyMs = LatencySummary.Of(ack),
            EndToEndLatencyMs = LatencySummary.Of(endToEnd),
            ConnectSeconds = users / 100.0,
            Errors = new SortedDictionary<string, long> { ["RATE_LIMITED"] = 4, ["TIMEOUT"] = 6 },
            Timeline = timeline,
            Histograms = new ReportHistograms(ack.ToSnapshot(), endToEnd.ToSnapshot(), HistogramSnapshot.Empty),
        };
    }
}
