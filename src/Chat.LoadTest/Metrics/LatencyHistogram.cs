using System.Numerics;

namespace Chat.LoadTest.Metrics;

/// <summary>
/// An HDR-style latency histogram over microseconds: exact below 2^k, then log-linear buckets with
/// 2^(k-1) sub-buckets per power of two, so every value is kept within 1/2^(k-1) of itself (k = 7: 1.6 %)
/// in a fixed, small array. Histograms with the same <see cref="SubBucketBits"/> merge exactly, which is
/// what lets reports of several load generators (and several seconds) be combined. Not thread-safe:
/// <see cref="LatencyRecorder"/> guards it.
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>The default precision: 128 exact values, then 64 buckets per power of two.</summary>
    public const int DefaultSubBucketBits = 7;

    /// <summary>Values above this (one hour in microseconds) are counted in the last bucket; <see cref="Max"/> stays exact.</summary>
    public const long DefaultHighestTrackableValue = 3_600_000_000;

    private readonly long[] _counts;
    private long _min = long.MaxValue;

    /// <summary>Creates an empty histogram.</summary>
    public LatencyHistogram(int subBucketBits = DefaultSubBucketBits, long highestTrackableValue = DefaultHighestTrackableValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(subBucketBits, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(subBucketBits, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(highestTrackableValue, 1L << subBucketBits);
        SubBucketBits = subBucketBits;
        HighestTrackableValue = highestTrackableValue;
        _counts = new long[IndexOf(highestTrackableValue, subBucketBits) + 1];
    }

    /// <summary>Precision parameter k (see the class summary).</summary>
    public int SubBucketBits { get; }

    /// <summary>The largest value with its own bucket.</summary>
    public long HighestTrackableValue { get; }

    /// <summary>Number of recorded values.</summary>
    public long Count { get; private set; }

    /// <summary>Sum of the recorded values (for the mean).</summary>
    public long Sum { get; private set; }

    /// <summary>Smallest recorded value (0 when empty).</summary>
    public long Min => Count == 0 ? 0 : _min;

    /// <summary>Largest recorded value, exact (0 when empty).</summary>
    public long Max { get; private set; }

    /// <summary>Arithmetic mean (0 when empty).</summary>
    public double Mean => Count == 0 ? 0 : (double)Sum / Count;

    /// <summary>Records one value (negative values count as 0).</summary>
    public void Record(long value) => Record(value, 1);

    /// <summary>Records a value <paramref name="count"/> times.</summary>
    public void Record(long value, long count)
    {
        if (count <= 0)
        {
            return;
        }

        value = Math.Max(0, value);
        _counts[Math.Min(IndexOf(value, SubBucketBits), _counts.Length - 1)] += count;
        Count += count;
        Sum += value * count;
        _min = Math.Min(_min, value);
        Max = Math.Max(Max, value);
    }

    /// <summary>
    /// The value at a percentile (0–100): the highest value equivalent to the bucket holding that rank,
    /// never above <see cref="Max"/>; 0 when empty. 100 gives <see cref="Max"/>.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        if (percentile >= 100)
        {
            return Max;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(Math.Max(0, percentile) / 100 * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Max(Min, Math.Min(HighestValueAt(i, SubBucketBits), Max));
            }
        }

        return Max;
    }

    /// <summary>Adds every value of <paramref name="other"/> (same <see cref="SubBucketBits"/> required).</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.SubBucketBits != SubBucketBits)
        {
            throw new ArgumentException($"Cannot merge a histogram of {other.SubBucketBits} sub-bucket bits into one of {SubBucketBits}.", nameof(other));
        }

        if (other.Count == 0)
        {
            return;
        }

        for (var i = 0; i < other._counts.Length; i++)
        {
            if (other._counts[i] != 0)
            {
                _counts[Math.Min(i, _counts.Length - 1)] += other._counts[i];
            }
        }

        Count += other.Count;
        Sum += other.Sum;
        _min = Math.Min(_min, other._min);
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>A copy.</summary>
    public LatencyHistogram Clone()
    {
        var copy = new LatencyHistogram(SubBucketBits, HighestTrackableValue);
        copy.Add(this);
        return copy;
    }

    /// <summary>The non-empty buckets in increasing order: their value range (inclusive) and count.</summary>
    public IEnumerable<(long Low, long High, long Count)> Buckets()
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            if (_counts[i] != 0)
            {
                yield return (LowestValueAt(i, SubBucketBits), HighestValueAt(i, SubBucketBits), _counts[i]);
            }
        }
    }

    /// <summary>The serialisable form: only non-empty buckets, as [index, count] pairs.</summary>
    public HistogramSnapshot ToSnapshot()
    {
        var buckets = new List<long[]>();
        for (var i = 0; i < _counts.Length; i++)
        {
            if (_counts[i] != 0)
            {
                buckets.Add([i, _counts[i]]);
            }
        }

        return new HistogramSnapshot(SubBucketBits, Count, Min, Max, Sum, buckets);
    }

    /// <summary>Rebuilds a histogram from its snapshot.</summary>
    public static LatencyHistogram FromSnapshot(HistogramSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var histogram = new LatencyHistogram(snapshot.SubBucketBits, Math.Max(DefaultHighestTrackableValue, snapshot.Max));
        foreach (var pair in snapshot.Buckets)
        {
            if (pair is [var index, var count] && index >= 0 && index < histogram._counts.Length && count > 0)
            {
                histogram._counts[index] += count;
            }
        }

        histogram.Count = snapshot.Count;
        histogram.Sum = snapshot.Sum;
        histogram._min = snapshot.Count == 0 ? long.MaxValue : snapshot.Min;
        histogram.Max = snapshot.Max;
        return histogram;
    }

    /// <summary>The bucket of a value.</summary>
    internal static int IndexOf(long value, int subBucketBits)
    {
        var subBuckets = 1L << subBucketBits;
        if (value < subBuckets)
        {
            return (int)value;
        }

        var magnitude = 63 - BitOperations.LeadingZeroCount((ulong)value);
        var shift = magnitude - subBucketBits + 1;
        var top = value >> shift;
        var half = subBuckets / 2;
        return (int)(subBuckets + ((shift - 1) * half) + (top - half));
    }

    /// <summary>The smallest value of a bucket.</summary>
    internal static long LowestValueAt(int index, int subBucketBits)
    {
        var subBuckets = 1L << subBucketBits;
        if (index < subBuckets)
        {
            return index;
        }

        var half = subBuckets / 2;
        var offset = index - subBuckets;
        var shift = (int)(offset / half) + 1;
        return ((offset % half) + half) << shift;
    }

    /// <summary>The largest value of a bucket.</summary>
    internal static long HighestValueAt(int index, int subBucketBits) => LowestValueAt(index + 1, subBucketBits) - 1;
}

/// <summary>A histogram as it is stored in a report: sparse [index, count] pairs over microseconds.</summary>
/// <param name="SubBucketBits">Precision parameter of the histogram.</param>
/// <param name="Count">Number of values.</param>
/// <param name="Min">Smallest value (µs).</param>
/// <param name="Max">Largest value (µs), exact.</param>
/// <param name="Sum">Sum of the values (µs).</param>
/// <param name="Buckets">Non-empty buckets as [index, count].</param>
public sealed record HistogramSnapshot(int SubBucketBits, long Count, long Min, long Max, long Sum, IReadOnlyList<long[]> Buckets)
{
    /// <summary>An empty snapshot.</summary>
    public static HistogramSnapshot Empty { get; } = new(LatencyHistogram.DefaultSubBucketBits, 0, 0, 0, 0, []);
}

/// <summary>The percentiles of a report, in milliseconds: <c>{p50, p90, p99, p999, max}</c> plus mean and count.</summary>
public sealed record LatencySummary(double P50, double P90, double P99, double P999, double Max, double Mean, long Count)
{
    /// <summary>Summarises a histogram of microseconds in milliseconds (3 decimals).</summary>
    public static LatencySummary Of(LatencyHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        return new LatencySummary(
            Ms(histogram.ValueAtPercentile(50)),
            Ms(histogram.ValueAtPercentile(90)),
            Ms(histogram.ValueAtPercentile(99)),
            Ms(histogram.ValueAtPercentile(99.9)),
            Ms(histogram.Max),
            Math.Round(histogram.Mean / 1000, 3),
            histogram.Count);
    }

    private static double Ms(long microseconds) => Math.Round(microseconds / 1000.0, 3);
}
