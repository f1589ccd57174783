using Chat.LoadTest.Metrics;

namespace Chat.LoadTest.Tests;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Values_below_the_sub_bucket_count_are_exact()
    {
        var histogram = new LatencyHistogram();
        for (var v = 0; v < 128; v++)
        {
            histogram.Record(v);
        }

        Assert.Equal(63, histogram.ValueAtPercentile(50));
        Assert.Equal(127, histogram.ValueAtPercentile(100));
        Assert.Equal(0, histogram.Min);
        Assert.Equal(128, histogram.Count);
    }

    [Fact]
    public void Every_value_lies_within_its_bucket_and_buckets_are_contiguous()
    {
        var random = new Random(7);
        for (var i = 0; i < 100_000; i++)
        {
            var value = (long)Math.Pow(10, random.NextDouble() * 9.5);
            var index = LatencyHistogram.IndexOf(value, LatencyHistogram.DefaultSubBucketBits);
            Assert.InRange(value, LatencyHistogram.LowestValueAt(index, 7), LatencyHistogram.HighestValueAt(index, 7));
        }

        for (var index = 0; index < 3000; index++)
        {
            Assert.Equal(LatencyHistogram.HighestValueAt(index, 7) + 1, LatencyHistogram.LowestValueAt(index + 1, 7));
        }
    }

    [Fact]
    public void Percentiles_are_within_the_relative_precision_of_the_exact_ones()
    {
        var random = new Random(11);
        var values = Enumerable.Range(0, 50_000).Select(_ => (long)(1000 * Math.Exp(random.NextDouble() * 8))).ToArray();
        var histogram = new LatencyHistogram();
        foreach (var value in values)
        {
            histogram.Record(value);
        }

        Array.Sort(values);
        foreach (var percentile in new[] { 50, 90, 99, 99.9 })
        {
            var exact = values[(int)Math.Ceiling(percentile / 100 * values.Length) - 1];
            var measured = histogram.ValueAtPercentile(percentile);
            Assert.True(Math.Abs(measured - exact) <= exact / 64.0 + 1, $"p{percentile}: {measured} vs exact {exact}");
        }

        Assert.Equal(values[^1], histogram.Max);
        Assert.Equal(values[0], histogram.Min);
        Assert.Equal(values.Average(), histogram.Mean, 3);
    }

    [Fact]
    public void Merging_gives_the_same_histogram_as_recording_everything_in_one()
    {
        var random = new Random(3);
        var one = new LatencyHistogram();
        var two = new LatencyHistogram();
        var all = new LatencyHistogram();
        for (var i = 0; i < 20_000; i++)
        {
            var value = random.NextInt64(1, 5_000_000);
            (i % 3 == 0 ? one : two).Record(value);
            all.Record(value);
        }

        one.Add(two);

        Assert.Equal(all.ToSnapshot().Buckets.Select(b => (b[0], b[1])), one.ToSnapshot().Buckets.Select(b => (b[0], b[1])));
        Assert.Equal((all.Count, all.Sum, all.Min, all.Max), (one.Count, one.Sum, one.Min, one.Max));
        Assert.Equal(all.ValueAtPercentile(99.9), one.ValueAtPercentile(99.9));
    }

    [Fact]
    public void A_snapshot_rebuilds_the_same_histogram()
    {
        var histogram = new LatencyHistogram();
        foreach (var value in new long[] { 5, 900, 12_345, 12_400, 7_000_000 })
        {
            histogram.Record(value);
        }

        var copy = LatencyHistogram.FromSnapshot(histogram.ToSnapshot());

        Assert.Equal(histogram.Count, copy.Count);
        Assert.Equal(histogram.Max, copy.Max);
        Assert.Equal(histogram.Min, copy.Min);
        Assert.Equal(histogram.ValueAtPercentile(50), copy.ValueAtPercentile(50));
        Assert.Equal(histogram.Buckets(), copy.Buckets());
    }

    [Fact]
    public void Out_of_range_values_are_clamped_but_max_stays_exact()
    {
        var histogram = new LatencyHistogram(highestTrackableValue: 1_000_000);

        histogram.Record(-5);
        histogram.Record(50_000_000);

        Assert.Equal(0, histogram.Min);
        Assert.Equal(50_000_000, histogram.Max);
        Assert.Equal(50_000_000, histogram.ValueAtPercentile(100));
        Assert.Equal(0, histogram.ValueAtPercentile(50));
    }

    [Fact]
    public void An_empty_histogram_reports_zeros()
    {
        var summary = LatencySummary.Of(new LatencyHistogram());

        Assert.Equal(new LatencySummary(0, 0, 0, 0, 0, 0, 0), summary);
    }

    [Fact]
    public void The_summary_is_in_milliseconds()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(1_500);
        histogram.Record(2_500_000);

        var summary = LatencySummary.Of(histogram);

        Assert.InRange(summary.P50, 1.48, 1.52);
        Assert.Equal(2500, summary.Max);
        Assert.Equal(2, summary.Count);
    }

    [Fact]
    public void The_recorder_hands_out_intervals_and_keeps_the_total()
    {
        var recorder = new LatencyRecorder();
        recorder.Record(TimeSpan.FromMilliseconds(2));
        var first = recorder.TakeInterval();
        recorder.Record(10);

        Assert.Equal(1, first.Count);
        Assert.Equal(2000, first.Max);
        Assert.Equal(1, recorder.TakeInterval().Count);
        Assert.Equal(2, recorder.Total().Count);
    }
}
