namespace Chat.LoadTest.Cli;

/// <summary>Everything a load run is told on the command line (see <see cref="CommandLine"/>).</summary>
public sealed record LoadTestOptions
{
    /// <summary>Frontends; users are spread over them round-robin (empty: the local system of <c>./chat up</c>).</summary>
    public IReadOnlyList<Uri> Urls { get; init; } = [];

    /// <summary>Simulated users (over all processes).</summary>
    public int Users { get; init; } = 100;

    /// <summary>Length of the measured phase.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Stop after this many sends instead (or whichever comes first).</summary>
    public long? Messages { get; init; }

    /// <summary>Messages each user sends per minute on average (Poisson arrivals over all users).</summary>
    public double MessagesPerMinute { get; init; } = 6;

    /// <summary>The group mix (see <see cref="GroupMix"/>).</summary>
    public GroupMix Groups { get; init; } = GroupMix.Auto;

    /// <summary>DMs per user: user i talks with i+1 … i+n.</summary>
    public int DirectPerUser { get; init; } = 1;

    /// <summary>Connections opened per second while ramping up.</summary>
    public double RampUpPerSecond { get; init; } = 200;

    /// <summary>Where to write the JSON report (null: not written).</summary>
    public string? ReportPath { get; init; }

    /// <summary>Where to write the HTML report (null: not written).</summary>
    public string? HtmlPath { get; init; }

    /// <summary>Characters per message.</summary>
    public int MessageSize { get; init; } = 64;

    /// <summary>Share of sends preceded by a typing notice.</summary>
    public double TypingProbability { get; init; } = 0.1;

    /// <summary>Share of deliveries answered with a reaction.</summary>
    public double ReactionProbability { get; init; } = 0.02;

    /// <summary>Share of deliveries after which the recipient marks the conversation read.</summary>
    public double ReadProbability { get; init; } = 0.2;

    /// <summary>Prefix of the usernames (several runs with the same prefix reuse the users).</summary>
    public string UserPrefix { get; init; } = "lt";

    /// <summary>Password of every simulated user.</summary>
    public string Password { get; init; } = "load-test-password";

    /// <summary>Load generator processes to start; they split the users and their reports are merged.</summary>
    public int Processes { get; init; } = 1;

    /// <summary>Which process this is (set by the coordinating process).</summary>
    public int ProcessIndex { get; init; }

    /// <summary>How many processes take part (set by the coordinating process).</summary>
    public int ProcessCount { get; init; } = 1;

    /// <summary>Connect WebSockets without <c>/negotiate</c>.</summary>
    public bool SkipNegotiation { get; init; }

    /// <summary>After sending stops, how long to wait for outstanding deliveries.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Limit for one hub call (send, react, mark read).</summary>
    public TimeSpan InvocationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Concurrent REST calls while provisioning.</summary>
    public int ProvisionParallelism { get; init; } = 16;

    /// <summary>Where provisioned users, tokens and conversations are cached between runs.</summary>
    public string StateDirectory { get; init; } = Path.Combine(".chat", "load");

    /// <summary>Seed of the workload's random choices (null: a new one per run).</summary>
    public int? Seed { get; init; }

    /// <summary>No progress lines (a child process of a multi-process run still prints its summary).</summary>
    public bool Quiet { get; init; }

    /// <summary>Log level of the client SDK (reconnects are warnings).</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Warning;

    /// <summary>The username prefix of this process's users: processes never share users or conversations.</summary>
    public string ProcessPrefix => $"{UserPrefix}{ProcessIndex}";

    /// <summary>This process's share of <see cref="Users"/>.</summary>
    public int UsersOfThisProcess => (Users / ProcessCount) + (ProcessIndex < Users % ProcessCount ? 1 : 0);

    /// <summary>The target send rate of this process.</summary>
    public double MessagesPerSecond => UsersOfThisProcess * MessagesPerMinute / 60;
}
