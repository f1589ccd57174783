using System.Diagnostics.Metrics;
using Chat.Runtime.Diagnostics;

namespace Chat.Runtime.Tests;

public sealed class PrometheusExporterTests
{
    [Fact]
    public void Counters_histograms_and_gauges_render_in_the_prometheus_text_format()
    {
        var prefix = "Chat.ExporterTest" + Guid.NewGuid().ToString("N")[..6];
        using var exporter = new PrometheusExporter([prefix]);
        using var meter = new Meter(prefix);
        var counter = meter.CreateCounter<long>("chat.test.sent", description: "Messages sent");
        var histogram = meter.CreateHistogram<double>("chat.test.latency", unit: "ms");
        var level = 7;
        meter.CreateObservableGauge("chat.test.level", () => level);
        using var other = new Meter("Unrelated.Meter");
        other.CreateCounter<long>("unrelated.count").Add(5);

        counter.Add(2, new KeyValuePair<string, object?>("code", "OK"));
        counter.Add(3, new KeyValuePair<string, object?>("code", "OK"));
        counter.Add(1, new KeyValuePair<string, object?>("code", "RATE_\"LIMITED"));
        histogram.Record(0.3);
        histogram.Record(40);
        histogram.Record(20000);

        var text = exporter.Render();
        Assert.Contains("# TYPE chat_test_sent_total counter", text, StringComparison.Ordinal);
        Assert.Contains("chat_test_sent_total{code=\"OK\"} 5\n", text, StringComparison.Ordinal);
        Assert.Contains("chat_test_sent_total{code=\"RATE_\\\"LIMITED\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE chat_test_latency_milliseconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("chat_test_latency_milliseconds_bucket{le=\"0.5\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("chat_test_latency_milliseconds_bucket{le=\"50\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("chat_test_latency_milliseconds_bucket{le=\"+Inf\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("chat_test_latency_milliseconds_count 3\n", text, StringComparison.Ordinal);
        Assert.Contains("chat_test_level 7\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("unrelated", text, StringComparison.Ordinal);

        level = 9;
        Assert.Contains("chat_test_level 9\n", exporter.Render(), StringComparison.Ordinal);
    }
}
