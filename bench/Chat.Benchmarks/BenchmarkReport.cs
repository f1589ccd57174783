using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat.Benchmarks;

public sealed record MachineInfo(int Cores, string Os, string Runtime, string Orleans)
{
    public static MachineInfo Current => new(
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        typeof(IGrainFactory).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split(['+', ' '])[0].TrimEnd('.') ?? "?");
}

/// <summary>
/// One measurement. Concurrency 0 marks an open loop. <see cref="AllocatedBytesPerCall"/> counts
/// the allocations of the measuring process only (see the report's notes), null when not measured.
/// <see cref="MinCallerCalls"/> and <see cref="MaxCallerCalls"/>: the fewest and most calls one
/// closed-loop caller made (null for an open loop).
/// </summary>
[GenerateSerializer, Immutable, Alias("bench.BenchmarkResult")]
public sealed record BenchmarkResult(
    string Name,
    int Concurrency,
    double CallsPerSecond,
    double P50Us,
    double P99Us,
    double MaxUs,
    double? AllocatedBytesPerCall,
    long Calls,
    double Seconds,
    long? MinCallerCalls,
    long? MaxCallerCalls);

public sealed record BenchmarkReport(string Suite, double DurationSeconds, MachineInfo Machine, IReadOnlyList<BenchmarkResult> Results, IReadOnlyList<string> Notes)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public async Task WriteAsync(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(this, Json));
    }

    public void Print(TextWriter output)
    {
        output.WriteLine($"suite {Suite}, {DurationSeconds:0.###} s per run; machine: {Machine.Cores} cores, {Machine.Os}, {Machine.Runtime}, Orleans {Machine.Orleans}");
        output.WriteLine($"{"benchmark",-30} {"callers",7} {"calls/s",10} {"p50 us",8} {"p99 us",8} {"max us",8} {"B/call",7} {"per caller min-max",19}");
        foreach (var r in Results)
        {
            var callers = r.Concurrency == 0 ? "open" : r.Concurrency.ToString(CultureInfo.InvariantCulture);
            var allocated = r.AllocatedBytesPerCall is { } b ? b.ToString("N0", CultureInfo.InvariantCulture) : "n/a";
            var fairness = r.MinCallerCalls is { } min && r.MaxCallerCalls is { } max ? $"{min:N0}-{max:N0}" : "";
            output.WriteLine($"{r.Name,-30} {callers,7} {r.CallsPerSecond,10:N0} {r.P50Us,8:N0} {r.P99Us,8:N0} {r.MaxUs,8:N0} {allocated,7} {fairness,19}");
        }

        foreach (var note in Notes)
        {
            output.WriteLine($"note: {note}");
        }
    }
}
