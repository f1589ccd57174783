using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat.Benchmarks;

public sealed record MachineInfo(int Cores, string Os, string Runtime)
{
    public static MachineInfo Current => new(Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription);
}

public sealed record BenchmarkResult(string Name, int Concurrency, double CallsPerSecond, double P50Us, double P99Us, double? AllocatedBytesPerCall);

public sealed record BenchmarkReport(MachineInfo Machine, IReadOnlyList<BenchmarkResult> Results)
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
        output.WriteLine($"machine: {Machine.Cores} cores, {Machine.Os}, {Machine.Runtime}");
        output.WriteLine($"{"benchmark",-34} {"callers",7} {"calls/s",12} {"p50 us",9} {"p99 us",9} {"B/call",8}");
        foreach (var r in Results)
        {
            output.WriteLine($"{r.Name,-34} {r.Concurrency,7} {r.CallsPerSecond,12:N0} {r.P50Us,9:N1} {r.P99Us,9:N1} {(r.AllocatedBytesPerCall is { } b ? b.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "n/a"),8}");
        }
    }
}
