namespace Chat.Benchmarks;

/// <summary>
/// Log-linear latency histogram (HDR-style: 1/64 relative precision) over microseconds, lock-free
/// to record from many threads.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBuckets = 64;
    private const int Magnitudes = 40;
    private readonly long[] _counts = new long[SubBuckets * Magnitudes];
    private long _max;
    private long _total;

    public long Count => Interlocked.Read(ref _total);

    public void RecordMicros(long micros)
    {
        if (micros < 0)
        {
            micros = 0;
        }

        Interlocked.Increment(ref _counts[Index(micros)]);
        Interlocked.Increment(ref _total);
        long max;
        while (micros > (max = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, micros, max) != max)
        {
        }
    }

    public double Percentile(double p)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(p / 100.0 * total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), Max);
            }
        }

        return Max;
    }

    public long Max => Interlocked.Read(ref _max);

    /// <summary>Adds another histogram's counts to this one.</summary>
    public void Merge(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            Interlocked.Add(ref _counts[i], Interlocked.Read(ref other._counts[i]));
        }

        Interlocked.Add(ref _total, other.Count);
        if (other.Max > Max)
        {
            Interlocked.Exchange(ref _max, other.Max);
        }
    }

    private static int Index(long value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }

        // Values with highest bit m keep their top 6 bits: 32 buckets per power of two.
        var msb = 63 - (int)long.LeadingZeroCount(value);
        var sub = (int)(value >> (msb - 5)) - (SubBuckets / 2);
        return Math.Min(SubBuckets + ((msb - 6) * (SubBuckets / 2)) + sub, (SubBuckets * Magnitudes) - 1);
    }

    private static double UpperBound(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }

        var rest = index - SubBuckets;
        var shift = (rest / (SubBuckets / 2)) + 1;
        var sub = rest % (SubBuckets / 2);
        return ((long)(sub + (SubBuckets / 2) + 1) << shift) - 1;
    }
}
