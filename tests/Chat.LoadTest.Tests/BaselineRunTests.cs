using Chat.LoadTest.Cli;
using Chat.LoadTest.Workload;
using Chat.SignalRBaseline;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chat.LoadTest.Tests;

/// <summary>
/// The load tester's whole run (provision, connect, send, drain) against the raw SignalR baseline on a
/// real socket: a few users for two seconds, with side traffic turned up so reactions, mark-read and
/// typing are exercised too. It proves the baseline speaks the load tester's subset of the API.
/// </summary>
public sealed class BaselineRunTests
{
    [Fact]
    public async Task A_short_run_against_the_baseline_is_complete()
    {
        var server = BaselineServer.Create(["--urls", "http://127.0.0.1:0"]);
        var state = Directory.CreateTempSubdirectory("chat-baseline-");
        await server.StartAsync();
        try
        {
            var options = new LoadTestOptions
            {
                Urls = [new Uri(server.Urls.Single())],
                Users = 6,
                Duration = TimeSpan.FromSeconds(2),
                MessagesPerMinute = 600,
                TypingProbability = 0.5,
                ReactionProbability = 0.5,
                ReadProbability = 0.5,
                DrainTimeout = TimeSpan.FromSeconds(5),
                StateDirectory = state.FullName,
                Seed = 8,
                Quiet = true,
            };
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

            var report = await new LoadRunner(options, NullLoggerFactory.Instance, TextWriter.Null).RunAsync(timeout.Token);

            Assert.Equal(6, report.ConnectedUsers);
            Assert.InRange(report.MessagesAcked, 20, long.MaxValue);
            Assert.Equal(report.MessagesSent, report.MessagesAcked);
            Assert.Equal(report.DeliveriesExpected, report.DeliveriesReceived);
            Assert.Equal((0L, 0L, 0L, 0L), (report.Lost, report.Duplicated, report.OutOfOrder, report.Unexpected));
            Assert.Empty(report.Errors);
        }
        finally
        {
            await server.StopAsync();
            await server.DisposeAsync();
            state.Delete(recursive: true);
        }
    }
}
