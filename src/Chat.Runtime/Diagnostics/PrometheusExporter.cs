using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Chat.Runtime.Diagnostics;

/// <summary>
/// Collects the instruments of selected meters (by default every meter whose name starts with
/// "Chat.", plus Kestrel's and SignalR's) with a <see cref="MeterListener"/> and renders them in
/// the Prometheus text format: counters as <c>_total</c>, histograms as cumulative buckets,
/// gauges and up-down counters as gauges. One instance per host.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] DefaultBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();
    private readonly string[] _meterPrefixes;

    /// <summary>Starts listening to meters whose names start with one of <paramref name="meterPrefixes"/>.</summary>
    public PrometheusExporter(IEnumerable<string> meterPrefixes)
    {
        _meterPrefixes = [.. meterPrefixes];
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_meterPrefixes.Any(p => instrument.Meter.Name.StartsWith(p, StringComparison.Ordinal)))
            {
                _instruments[instrument] = new InstrumentState(instrument);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>Renders every instrument in the Prometheus text format (version 0.0.4).</summary>
    public string Render()
    {
        // Observable instruments report only when asked.
        foreach (var state in _instruments.Values)
        {
            state.ResetObservations();
        }

        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var group in _instruments.Values.GroupBy(s => s.MetricName).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var first = group.First();
            text.Append("# HELP ").Append(first.MetricName).Append(' ').Append(Escape(first.Instrument.Description ?? first.Instrument.Name)).Append('\n');
            text.Append("# TYPE ").Append(first.MetricName).Append(' ').Append(first.PrometheusType).Append('\n');
            foreach (var state in group)
            {
                state.Render(text);
            }
        }

        return text.ToString();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_instruments.TryGetValue(instrument, out var state))
        {
            state.Record(value, tags);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Sanitize(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray();
        return new string(chars);
    }

    private static string Labels(string key, string? extraName = null, string? extraValue = null)
    {
        if (key.Length == 0 && extraName is null)
        {
            return "";
        }

        var parts = new List<string>();
        if (key.Length != 0)
        {
            parts.Add(key);
        }

        if (extraName is not null)
        {
            parts.Add($"{extraName}=\"{extraValue}\"");
        }

        return "{" + string.Join(",", parts) + "}";
    }

    private static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("G17", CultureInfo.InvariantCulture);

    private sealed class InstrumentState
    {
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
        private readonly bool _isHistogram;
        private readonly bool _isCounter;
        private readonly bool _isObservable;

        public InstrumentState(Instrument instrument)
        {
            Instrument = instrument;
            var type = instrument.GetType().GetGenericTypeDefinition();
            _isHistogram = type == typeof(Histogram<>);
            _isCounter = type == typeof(Counter<>) || type == typeof(ObservableCounter<>);
            _isObservable = instrument.IsObservable;
            var unit = instrument.Unit switch
            {
                "ms" => "_milliseconds",
                "s" => "_seconds",
                "By" => "_bytes",
                _ => "",
            };
            var baseName = Sanitize(instrument.Name);
            MetricName = baseName + (baseName.EndsWith(unit, StringComparison.Ordinal) ? "" : unit) + (_isCounter ? "_total" : "");
        }

        public Instrument Instrument { get; }

        public string MetricName { get; }

        public string PrometheusType => _isHistogram ? "histogram" : _isCounter ? "counter" : "gauge";

        public void ResetObservations()
        {
            if (_isObservable && !_isCounter)
            {
                _series.Clear();
            }
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = TagKey(tags);
            var series = _series.GetOrAdd(key, static (_, histogram) => new Series(histogram ? DefaultBuckets.Length : 0), _isHistogram);
            lock (series)
            {
                if (_isHistogram)
                {
                    series.Count++;
                    series.Sum += value;
                    var bucket = Array.FindIndex(DefaultBuckets, b => value <= b);
                    if (bucket >= 0)
                    {
                        series.Buckets[bucket]++;
                    }
                }
                else if (_isCounter && !_isObservable)
                {
                    series.Sum += value;
                }
                else if (Instrument.GetType().GetGenericTypeDefinition() == typeof(UpDownCounter<>))
                {
                    series.Sum += value;
                }
                else
                {
                    series.Sum = value;
                }
            }
        }

        public void Render(StringBuilder text)
        {
            foreach (var (key, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                lock (series)
                {
                    if (!_isHistogram)
                    {
                        text.Append(MetricName).Append(Labels(key)).Append(' ').Append(Format(series.Sum)).Append('\n');
                        continue;
                    }

                    long cumulative = 0;
                    for (var i = 0; i < DefaultBuckets.Length; i++)
                    {
                        cumulative += series.Buckets[i];
                        text.Append(MetricName).Append("_bucket").Append(Labels(key, "le", Format(DefaultBuckets[i]))).Append(' ').Append(cumulative).Append('\n');
                    }

                    text.Append(MetricName).Append("_bucket").Append(Labels(key, "le", "+Inf")).Append(' ').Append(series.Count).Append('\n');
                    text.Append(MetricName).Append("_sum").Append(Labels(key)).Append(' ').Append(Format(series.Sum)).Append('\n');
                    text.Append(MetricName).Append("_count").Append(Labels(key)).Append(' ').Append(series.Count).Append('\n');
                }
            }
        }

        private static string TagKey(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0)
            {
                return "";
            }

            var parts = new string[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                var value = Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "";
                parts[i] = $"{Sanitize(tags[i].Key)}=\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
            }

            Array.Sort(parts, StringComparer.Ordinal);
            return string.Join(",", parts);
        }
    }

    private sealed class Series(int buckets)
    {
        public long[] Buckets { get; } = new long[buckets];

        public long Count { get; set; }

        public double Sum { get; set; }
    }
}

/// <summary>Registers and maps the Prometheus endpoint.</summary>
public static class PrometheusEndpointExtensions
{
    /// <summary>Collects the "Chat." meters plus Kestrel's, SignalR's and the runtime's own.</summary>
    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services)
    {
        services.TryAddSingleton(_ => new PrometheusExporter(["Chat.", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections", "System.Runtime"]));
        return services;
    }

    /// <summary>Maps <c>GET /metrics</c> in the Prometheus text format.</summary>
    public static IEndpointConventionBuilder MapPrometheusMetrics(this IEndpointRouteBuilder endpoints, string pattern = "/metrics") =>
        endpoints.MapGet(pattern, (PrometheusExporter exporter) =>
            Results.Text(exporter.Render(), "text/plain; version=0.0.4; charset=utf-8"));
}
