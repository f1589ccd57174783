using Chat.Benchmarks;

// Usage: Chat.Benchmarks runtime|cluster [--duration seconds] [--out file]
var command = args.FirstOrDefault() ?? "runtime";
var duration = TimeSpan.FromSeconds(double.Parse(Option("--duration") ?? "3", System.Globalization.CultureInfo.InvariantCulture));
var output = Option("--out") ?? Path.Combine("artifacts", "bench", $"runtime-{(command == "runtime" ? "local" : command)}.json");

if (command == "silo")
{
    await ClusterBenchmark.RunSiloAsync(args);
    return;
}

var report = command switch
{
    "runtime" => await LocalRuntimeBenchmark.RunAsync(duration),
    "cluster" => await ClusterBenchmark.RunAsync(duration),
    _ => throw new ArgumentException($"unknown benchmark '{command}' (known: runtime, cluster)"),
};

report.Print(Console.Out);
await report.WriteAsync(output);
Console.WriteLine($"wrote {output}");

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
