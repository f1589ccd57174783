using Chat.LoadTest.Cli;
using Chat.LoadTest.Workload;

namespace Chat.LoadTest.Tests;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("500ms", 500)]
    [InlineData("1m30s", 90_000)]
    [InlineData("90", 90_000)]
    [InlineData("1.5s", 1_500)]
    public void Durations_take_units_or_plain_seconds(string text, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), DurationParser.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("3x")]
    [InlineData("s")]
    [InlineData("0s")]
    [InlineData("10 s")]
    [InlineData("-5")]
    public void Bad_durations_are_rejected(string text) =>
        Assert.Throws<FormatException>(() => DurationParser.Parse(text));

    [Fact]
    public void A_group_mix_lists_sizes_and_counts()
    {
        var mix = GroupMix.Parse("5x100, 50x4,500X1");

        Assert.Equal([(5, 100), (50, 4), (500, 1)], mix.For(10));
        Assert.Empty(GroupMix.Parse("none").For(1000));
    }

    [Fact]
    public void The_automatic_group_mix_grows_with_the_users()
    {
        Assert.Empty(GroupMix.Auto.For(4));
        Assert.Equal([(5, 19)], GroupMix.Auto.For(99));
        Assert.Equal([(5, 20), (50, 1)], GroupMix.Auto.For(100));
        Assert.Equal([(5, 200), (50, 5), (500, 1)], GroupMix.Auto.For(1000));
    }

    [Theory]
    [InlineData("2x10")]
    [InlineData("5by3")]
    [InlineData(",")]
    public void Bad_group_mixes_are_rejected(string text) =>
        Assert.Throws<FormatException>(() => GroupMix.Parse(text));

    [Fact]
    public void Defaults_apply_when_nothing_is_given()
    {
        var (options, errors) = CommandLine.ParseRun([]);

        Assert.Empty(errors);
        Assert.Equal(new LoadTestOptions().Users, options!.Users);
        Assert.Empty(options.Urls);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Duration);
        Assert.Same(GroupMix.Auto, options.Groups);
    }

    [Fact]
    public void Every_option_reaches_the_run()
    {
        var (options, errors) = CommandLine.ParseRun([
            "--url", "http://127.0.0.1:5080", "--url", "http://127.0.0.1:5081/", "--users", "1000", "--duration", "2m",
            "--messages-per-minute", "12.5", "--groups", "5x10,500x1", "--ramp-up", "300", "--report", "r.json", "--html", "r.html",
            "--messages", "5000", "--dms-per-user", "2", "--skip-negotiation", "--processes", "2", "--seed", "42",
        ]);

        Assert.Empty(errors);
        Assert.Equal([new Uri("http://127.0.0.1:5080"), new Uri("http://127.0.0.1:5081/")], options!.Urls);
        Assert.Equal(1000, options.Users);
        Assert.Equal(TimeSpan.FromMinutes(2), options.Duration);
        Assert.Equal(12.5, options.MessagesPerMinute);
        Assert.Equal([(5, 10), (500, 1)], options.Groups.For(1000));
        Assert.Equal(300, options.RampUpPerSecond);
        Assert.Equal(("r.json", "r.html"), (options.ReportPath, options.HtmlPath));
        Assert.Equal(5000, options.Messages);
        Assert.Equal(2, options.DirectPerUser);
        Assert.True(options.SkipNegotiation);
        Assert.Equal(2, options.Processes);
        Assert.Equal(42, options.Seed);
    }

    [Theory]
    [InlineData("--users", "0")]
    [InlineData("--url", "not-a-url")]
    [InlineData("--url", "ftp://host/")]
    [InlineData("--duration", "forever")]
    [InlineData("--typing", "1.5")]
    [InlineData("--groups", "1x5")]
    [InlineData("--user-prefix", "bad-prefix")]
    [InlineData("--processes", "5")]
    public void Invalid_values_are_reported_instead_of_run(string option, string value)
    {
        var (options, errors) = CommandLine.ParseRun(["--users", "3", option, value]);

        Assert.Null(options);
        Assert.NotEmpty(errors);
    }

    [Fact]
    public void Users_are_split_over_processes_without_losing_any()
    {
        var shares = Enumerable.Range(0, 3)
            .Select(i => new LoadTestOptions { Users = 1000, ProcessCount = 3, ProcessIndex = i }.UsersOfThisProcess)
            .ToArray();

        Assert.Equal([334, 333, 333], shares);
        Assert.Equal("lt2", new LoadTestOptions { ProcessIndex = 2, ProcessCount = 3 }.ProcessPrefix);
    }

    [Fact]
    public void A_child_process_gets_the_users_arguments_without_the_coordinators_options()
    {
        var options = new LoadTestOptions { Processes = 2, Urls = [new Uri("http://127.0.0.1:5080/")] };

        var args = ProcessFanOut.ChildArgs(
            ["--users", "100", "--processes", "2", "--report=r.json", "--html", "r.html", "--duration", "5s"], options, 1, "/tmp/p1.json");

        Assert.Equal(
            ["--users", "100", "--duration", "5s", "--url", "http://127.0.0.1:5080/", "--processes", "1", "--process-index", "1", "--process-count", "2", "--report", "/tmp/p1.json"],
            args);
        var (parsed, errors) = CommandLine.ParseRun(args);
        Assert.Empty(errors);
        Assert.Equal(50, parsed!.UsersOfThisProcess);
    }
}
