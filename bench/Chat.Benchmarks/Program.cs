using System.Globalization;
using Chat.Benchmarks;

// Usage: Chat.Benchmarks calls|cluster [--duration seconds] [--out file]
//   calls    one silo and a client in this process: in-silo and client-to-silo grain calls
//   cluster  two silo processes (ADO.NET clustering on a throwaway PostgreSQL) and a client:
//            silo-to-silo and client-to-silo calls, open loop at 10,000 calls/s
// (--silo is the hidden mode of the cluster suite's silo processes.)
if (args.FirstOrDefault() == "--silo")
{
    await ClusterBenchmark.RunSiloAsync(args);
    return 0;
}

var suite = args.FirstOrDefault() ?? "calls";
if (suite is not ("calls" or "cluster"))
{
    Console.Error.WriteLine($"unknown suite '{suite}'; usage: Chat.Benchmarks calls|cluster [--duration seconds] [--out file]");
    return 2;
}

var duration = TimeSpan.FromSeconds(double.Parse(Option("--duration") ?? "3", CultureInfo.InvariantCulture));
var output = Option("--out") ?? Path.Combine("artifacts", "bench", $"{suite}.json");
var report = suite == "calls" ? await CallsBenchmark.RunAsync(duration) : await ClusterBenchmark.RunAsync(duration);
report.Print(Console.Out);
await report.WriteAsync(output);
Console.WriteLine($"wrote {output}");
return 0;

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
