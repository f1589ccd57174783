// Chat load generator (./chat load …): provisions users over REST, connects them to /hubs/chat with
// Chat.Client, sends open-loop traffic and reports latency, throughput and completeness.
//
//   Cli/         the command line (System.CommandLine) and its options
//   Workload/    provisioning (cached), topology, simulated users, the open-loop runner, process fan-out
//   Metrics/     HDR-style latency histograms
//   Verification/ completeness: lost, duplicated and out-of-order deliveries
//   Reporting/   the JSON report, merging reports, the HTML page, the terminal summary
using Chat.LoadTest.Cli;
using Chat.LoadTest.Reporting;
using Chat.LoadTest.Workload;
using Microsoft.Extensions.Logging;

var root = CommandLine.Build((options, ct) => RunAsync(options, args, ct), MergeAsync);
return await root.Parse(args).InvokeAsync();

static async Task<int> RunAsync(LoadTestOptions options, IReadOnlyList<string> args, CancellationToken cancellationToken)
{
    if (options.Urls.Count == 0)
    {
        var found = FrontendDiscovery.Find(Directory.GetCurrentDirectory());
        if (found.Count == 0)
        {
            Console.Error.WriteLine("No --url given and no local system found (.chat/pids/frontend-*.url). Start one with ./chat up, or pass --url.");
            return 1;
        }

        options = options with { Urls = found };
    }

    try
    {
        LoadReport report;
        if (options.Processes > 1 && options.ProcessCount == 1)
        {
            Console.WriteLine($"Running {options.Processes} load generator processes against {string.Join(", ", options.Urls)}");
            report = await ProcessFanOut.RunAsync(options, args, Console.Out, cancellationToken);
        }
        else
        {
            if (options.UsersOfThisProcess > 14_000)
            {
                Console.WriteLine($"Warning: {options.UsersOfThisProcess:N0} connections in one process is near the file-descriptor limit; use --processes.");
            }

            Console.WriteLine($"Load test: {options.UsersOfThisProcess:N0} users against {string.Join(", ", options.Urls)}, {options.MessagesPerMinute} messages per user per minute for {options.Duration}");
            using var loggers = LoggerFactory.Create(logging => logging
                .AddSimpleConsole(console =>
                {
                    console.SingleLine = true;
                    console.TimestampFormat = "HH:mm:ss ";
                })
                .SetMinimumLevel(options.LogLevel));
            report = await new LoadRunner(options, loggers, Console.Out).RunAsync(cancellationToken);
        }

        await WriteAsync(report, options.ReportPath, options.HtmlPath, cancellationToken);
        return report.Lost == 0 && report.Duplicated == 0 && report.OutOfOrder == 0 ? 0 : 2;
    }
    catch (ProvisioningException exception)
    {
        Console.Error.WriteLine($"Provisioning failed: {exception.Message}");
        return 1;
    }
    catch (HttpRequestException exception)
    {
        Console.Error.WriteLine($"Could not reach the frontend ({string.Join(", ", options.Urls)}): {exception.Message}");
        return 1;
    }
    catch (Chat.Client.ChatApiException exception)
    {
        Console.Error.WriteLine($"The frontend refused a provisioning call: {exception.Message}");
        return 1;
    }
}

static async Task<int> MergeAsync(MergeRequest request, CancellationToken cancellationToken)
{
    var reports = new List<LoadReport>();
    foreach (var input in request.Inputs)
    {
        reports.Add(await ReportJson.ReadAsync(input, cancellationToken));
    }

    var merged = ReportMerger.Merge(reports);
    await WriteAsync(merged, request.ReportPath, request.HtmlPath, cancellationToken);
    return 0;
}

static async Task WriteAsync(LoadReport report, string? reportPath, string? htmlPath, CancellationToken cancellationToken)
{
    SummaryPrinter.Print(report, Console.Out);
    if (reportPath is not null)
    {
        await ReportJson.WriteAsync(report, reportPath, cancellationToken);
        Console.WriteLine($"  report        {Path.GetFullPath(reportPath)}");
    }

    if (htmlPath is not null)
    {
        await HtmlReportWriter.WriteAsync(report, htmlPath, cancellationToken);
        Console.WriteLine($"  html          {Path.GetFullPath(htmlPath)}");
    }
}
