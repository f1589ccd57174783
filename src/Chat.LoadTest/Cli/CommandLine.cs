using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Chat.LoadTest.Cli;

/// <summary>What <c>merge</c> is asked to do.</summary>
public sealed record MergeRequest(IReadOnlyList<string> Inputs, string? ReportPath, string? HtmlPath);

/// <summary>
/// The command line: the root command runs a load test; <c>merge</c> combines the JSON reports of several
/// load generators (and renders the HTML page).
/// </summary>
public static class CommandLine
{
    /// <summary>Builds the commands; the delegates receive the parsed options.</summary>
    public static RootCommand Build(
        Func<LoadTestOptions, CancellationToken, Task<int>> run,
        Func<MergeRequest, CancellationToken, Task<int>> merge)
    {
        var defaults = new LoadTestOptions();
        var url = new Option<string[]>("--url")
        {
            Description = "A frontend's base URL (repeat for several). Default: the frontends of the local system started by ./chat up (.chat/pids/frontend-*.url).",
            Arity = ArgumentArity.ZeroOrMore,
            HelpName = "URL",
        };
        url.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (!Uri.TryCreate(token.Value, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
                {
                    result.AddError($"--url {token.Value}: an absolute http(s) URL is expected.");
                }
            }
        });
        var users = Positive(new Option<int>("--users") { Description = "Simulated users over all processes.", DefaultValueFactory = _ => defaults.Users });
        var duration = new Option<TimeSpan>("--duration")
        {
            Description = "Length of the measured phase: 30s, 2m, 1h, 1m30s or seconds.",
            DefaultValueFactory = _ => defaults.Duration,
            CustomParser = result => Parse(result, DurationParser.Parse),
            HelpName = "DURATION",
        };
        var messages = new Option<long?>("--messages") { Description = "Stop after this many sends (or at --duration, whichever comes first).", HelpName = "N" };
        var rate = NonNegative(new Option<double>("--messages-per-minute") { Description = "Messages per user per minute (open loop, Poisson arrivals).", DefaultValueFactory = _ => defaults.MessagesPerMinute });
        var groups = new Option<GroupMix>("--groups")
        {
            Description = "Group mix: SIZExCOUNT[,SIZExCOUNT...] (e.g. 5x100,50x4,500x1), 'auto' (a group of 5 per user, one of 50 per 200 users, one of 500 from 1,000 users) or 'none'.",
            DefaultValueFactory = _ => GroupMix.Auto,
            CustomParser = result => Parse(result, GroupMix.Parse),
            HelpName = "MIX",
        };
        var direct = NonNegativeInt(new Option<int>("--dms-per-user") { Description = "DMs per user (user i with i+1 … i+n).", DefaultValueFactory = _ => defaults.DirectPerUser });
        var rampUp = PositiveDouble(new Option<double>("--ramp-up") { Description = "Connections opened per second.", DefaultValueFactory = _ => defaults.RampUpPerSecond, HelpName = "PER_SECOND" });
        var report = new Option<string?>("--report") { Description = "Write the JSON report here.", HelpName = "FILE" };
        var html = new Option<string?>("--html") { Description = "Write the HTML report here.", HelpName = "FILE" };
        var size = Positive(new Option<int>("--message-size") { Description = "Characters per message.", DefaultValueFactory = _ => defaults.MessageSize });
        var typing = Probability(new Option<double>("--typing") { Description = "Share of sends preceded by a typing notice (0–1).", DefaultValueFactory = _ => defaults.TypingProbability });
        var reactions = Probability(new Option<double>("--reactions") { Description = "Share of deliveries answered with a reaction (0–1).", DefaultValueFactory = _ => defaults.ReactionProbability });
        var reads = Probability(new Option<double>("--mark-read") { Description = "Share of deliveries after which the recipient marks read (0–1).", DefaultValueFactory = _ => defaults.ReadProbability });
        var prefix = new Option<string>("--user-prefix") { Description = "Username prefix; runs with the same prefix reuse users and conversations.", DefaultValueFactory = _ => defaults.UserPrefix };
        prefix.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is null || value.Length is < 1 or > 30 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                result.AddError("--user-prefix: 1 to 30 letters, digits or underscores.");
            }
        });
        var processes = Positive(new Option<int>("--processes") { Description = "Load generator processes (each ≤ ~15,000 connections); they split --users and their reports are merged.", DefaultValueFactory = _ => defaults.Processes });
        var processIndex = NonNegativeInt(new Option<int>("--process-index") { Description = "(set by the coordinating process)", DefaultValueFactory = _ => 0, Hidden = true });
        var processCount = Positive(new Option<int>("--process-count") { Description = "(set by the coordinating process)", DefaultValueFactory = _ => 1, Hidden = true });
        var skipNegotiation = new Option<bool>("--skip-negotiation") { Description = "Open WebSockets without POST /negotiate first." };
        var drain = new Option<TimeSpan>("--drain-timeout")
        {
            Description = "After sending stops, how long to wait for outstanding deliveries.",
            DefaultValueFactory = _ => defaults.DrainTimeout,
            CustomParser = result => Parse(result, DurationParser.Parse),
            HelpName = "DURATION",
        };
        var seed = new Option<int?>("--seed") { Description = "Seed of the workload's random choices." };
        var quiet = new Option<bool>("--quiet") { Description = "No progress lines." };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Log level of the client SDK.", DefaultValueFactory = _ => defaults.LogLevel };
        var stateDirectory = new Option<string>("--state-dir") { Description = "Cache of provisioned users, tokens and conversations.", DefaultValueFactory = _ => defaults.StateDirectory, HelpName = "DIR" };

        var root = new RootCommand("Chat load generator: provisions users, connects them over /hubs/chat, sends open-loop traffic and reports latency, throughput and completeness.")
        {
            url, users, duration, messages, rate, groups, direct, rampUp, report, html, size, typing, reactions, reads, prefix,
            processes, processIndex, processCount, skipNegotiation, drain, seed, quiet, logLevel, stateDirectory,
        };
        root.SetAction((parsed, cancellationToken) =>
        {
            var options = new LoadTestOptions
            {
                Urls = [.. (parsed.GetValue(url) ?? []).Select(u => new Uri(u))],
                Users = parsed.GetValue(users),
                Duration = parsed.GetValue(duration),
                Messages = parsed.GetValue(messages),
                MessagesPerMinute = parsed.GetValue(rate),
                Groups = parsed.GetValue(groups)!,
                DirectPerUser = parsed.GetValue(direct),
                RampUpPerSecond = parsed.GetValue(rampUp),
                ReportPath = parsed.GetValue(report),
                HtmlPath = parsed.GetValue(html),
                MessageSize = parsed.GetValue(size),
                TypingProbability = parsed.GetValue(typing),
                ReactionProbability = parsed.GetValue(reactions),
                ReadProbability = parsed.GetValue(reads),
                UserPrefix = parsed.GetValue(prefix)!,
                Processes = parsed.GetValue(processes),
                ProcessIndex = parsed.GetValue(processIndex),
                ProcessCount = parsed.GetValue(processCount),
                SkipNegotiation = parsed.GetValue(skipNegotiation),
                DrainTimeout = parsed.GetValue(drain),
                Seed = parsed.GetValue(seed),
                Quiet = parsed.GetValue(quiet),
                LogLevel = parsed.GetValue(logLevel),
                StateDirectory = parsed.GetValue(stateDirectory)!,
            };
            var errors = Validate(options);
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    parsed.InvocationConfiguration.Error.WriteLine(error);
                }

                return Task.FromResult(1);
            }

            return run(options, cancellationToken);
        });

        var inputs = new Argument<string[]>("reports") { Description = "JSON reports of load generators that ran side by side.", Arity = ArgumentArity.OneOrMore };
        var mergedReport = new Option<string?>("--report") { Description = "Write the merged JSON report here.", HelpName = "FILE" };
        var mergedHtml = new Option<string?>("--html") { Description = "Write the merged HTML report here.", HelpName = "FILE" };
        var mergeCommand = new Command("merge", "Merge JSON reports (and render HTML); with one report, renders it.") { inputs, mergedReport, mergedHtml };
        mergeCommand.SetAction((parsed, cancellationToken) => merge(
            new MergeRequest(parsed.GetValue(inputs) ?? [], parsed.GetValue(mergedReport), parsed.GetValue(mergedHtml)),
            cancellationToken));
        root.Subcommands.Add(mergeCommand);
        return root;
    }

    /// <summary>Parses the options of a run (for tests and the process fan-out); errors instead of options when invalid.</summary>
    public static (LoadTestOptions? Options, IReadOnlyList<string> Errors) ParseRun(IReadOnlyList<string> args)
    {
        LoadTestOptions? captured = null;
        var root = Build(
            (options, _) =>
            {
                captured = options;
                return Task.FromResult(0);
            },
            (_, _) => Task.FromResult(0));
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            return (null, [.. result.Errors.Select(e => e.Message)]);
        }

        var errors = new StringWriter();
        result.Invoke(new InvocationConfiguration { Output = TextWriter.Null, Error = errors });
        return captured is null
            ? (null, errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            : (captured, []);
    }

    /// <summary>Rules that involve several options.</summary>
    public static IReadOnlyList<string> Validate(LoadTestOptions options)
    {
        var errors = new List<string>();
        if (options.ProcessIndex >= options.ProcessCount)
        {
            errors.Add("--process-index must be below --process-count.");
        }

        if (options.Users < Math.Max(options.Processes, options.ProcessCount))
        {
            errors.Add("--users must be at least the number of processes.");
        }

        return errors;
    }

    private static T Parse<T>(ArgumentResult result, Func<string, T> parse)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        try
        {
            return parse(text);
        }
        catch (FormatException exception)
        {
            result.AddError(exception.Message);
            return default!;
        }
    }

    private static Option<int> Positive(Option<int> option) => Check(option, v => v > 0, "must be positive");

    private static Option<int> NonNegativeInt(Option<int> option) => Check(option, v => v >= 0, "must not be negative");

    private static Option<double> NonNegative(Option<double> option) => Check(option, v => v >= 0, "must not be negative");

    private static Option<double> PositiveDouble(Option<double> option) => Check(option, v => v > 0, "must be positive");

    private static Option<double> Probability(Option<double> option) => Check(option, v => v is >= 0 and <= 1, "must be between 0 and 1");

    private static Option<T> Check<T>(Option<T> option, Func<T, bool> valid, string rule)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<T>();
            if (!valid(value))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} {rule} (got {value})."));
            }
        });
        return option;
    }
}
