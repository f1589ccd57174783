using System.Diagnostics;
using Chat.Frontend.Tests.Infrastructure;

namespace Chat.Frontend.Tests.Realtime;

/// <summary>
/// Runs tests/interop (node:test scripts driving the hub with the official <c>@microsoft/signalr</c>
/// client) against two frontends of a real cluster. <c>./chat test</c> installs the npm modules first.
/// </summary>
public sealed class InteropTests(ChatSystemFixture fixture) : IClassFixture<ChatSystemFixture>
{
    [Fact]
    public async Task The_official_javascript_client_passes_the_interop_tests_against_two_frontends()
    {
        var folder = FindInteropFolder();
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "@microsoft", "signalr")),
            $"Run 'npm ci' in {folder} first (./chat test does).");
        var start = new ProcessStartInfo("node", "--test --test-reporter=spec")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["CHAT_URL_1"] = fixture.System.Frontends[0].BaseAddress.ToString();
        start.Environment["CHAT_URL_2"] = fixture.System.Frontends[1].BaseAddress.ToString();
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        try
        {
            await node.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        }
        catch (TimeoutException)
        {
            node.Kill(entireProcessTree: true);
            throw;
        }

        var text = await output + await errors;
        Assert.True(node.ExitCode == 0, "node --test failed:\n" + text);
        Assert.Contains("fail 0", text, StringComparison.Ordinal);
        Assert.Contains("pass 5", text, StringComparison.Ordinal);
    }

    private static string FindInteropFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "interop");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/interop not found above " + AppContext.BaseDirectory);
    }
}
