using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Chat.LoadTest.Cli;
using Chat.LoadTest.Reporting;

namespace Chat.LoadTest.Workload;

/// <summary>
/// Runs a load test as several processes of this tool (one process holds at most ~15,000 connections:
/// the file-descriptor limit), each with its share of the users, then merges their reports.
/// </summary>
internal static class ProcessFanOut
{
    /// <summary>Options a child gets from the coordinator instead of the user's.</summary>
    private static readonly string[] CoordinatorOptions = ["--processes", "--process-index", "--process-count", "--report", "--html"];

    public static async Task<LoadReport> RunAsync(LoadTestOptions options, IReadOnlyList<string> originalArgs, TextWriter output, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"chat-load-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            var children = Enumerable.Range(0, options.Processes)
                .Select(index => RunChildAsync(index, ChildArgs(originalArgs, options, index, Path.Combine(directory, $"p{index}.json")), output, cancellationToken))
                .ToArray();
            var exitCodes = await Task.WhenAll(children);
            var reports = new List<LoadReport>();
            for (var index = 0; index < options.Processes; index++)
            {
                var path = Path.Combine(directory, $"p{index}.json");
                if (!File.Exists(path))
                {
                    throw new InvalidOperationException($"Load generator process {index} exited with code {exitCodes[index]} without a report (see its output above).");
                }

                reports.Add(await ReportJson.ReadAsync(path, cancellationToken));
            }

            return ReportMerger.Merge(reports);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The user's arguments without the coordinator's options, plus this child's.</summary>
    internal static IReadOnlyList<string> ChildArgs(IReadOnlyList<string> originalArgs, LoadTestOptions options, int index, string reportPath)
    {
        var args = new List<string>();
        for (var i = 0; i < originalArgs.Count; i++)
        {
            var arg = originalArgs[i];
            var name = arg.Split('=', 2)[0];
            if (CoordinatorOptions.Contains(name, StringComparer.Ordinal))
            {
                if (!arg.Contains('=', StringComparison.Ordinal))
                {
                    i++;
                }

                continue;
            }

            args.Add(arg);
        }

        if (!originalArgs.Any(a => a.StartsWith("--url", StringComparison.Ordinal)))
        {
            // The coordinator already found the local system's frontends: hand them over.
            foreach (var url in options.Urls)
            {
                args.AddRange(["--url", url.ToString()]);
            }
        }

        args.AddRange([
            "--processes", "1",
            "--process-index", index.ToString(CultureInfo.InvariantCulture),
            "--process-count", options.Processes.ToString(CultureInfo.InvariantCulture),
            "--report", reportPath,
        ]);
        return args;
    }

    private static async Task<int> RunChildAsync(int index, IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start a load generator process.");
        var stdout = ForwardAsync(process.StandardOutput, output, index);
        var stderr = ForwardAsync(process.StandardError, output, index);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await Task.WhenAll(stdout, stderr);
        return process.ExitCode;
    }

    private static async Task ForwardAsync(StreamReader reader, TextWriter output, int index)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            // The child tags its own progress lines; tag the rest (its summary, errors) here.
            var tagged = line.StartsWith($"[p{index}]", StringComparison.Ordinal) ? line : $"[p{index}] {line}";
            lock (output)
            {
                output.WriteLine(tagged);
            }
        }
    }
}
