using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Chat.Testing;

/// <summary>
/// A real silo process: the built <c>src/Chat.Silo/bin/&lt;Configuration&gt;/net10.0/Chat.Silo.dll</c>
/// run with <c>dotnet</c>, on its own HTTP, silo and gateway ports, in an Orleans cluster of its
/// own id. <see cref="StartAsync"/> returns once <c>/health/ready</c> answers 200 (the database
/// answers and the silo is Active). <see cref="Kill"/> is a crash (SIGKILL), unlike a TestingHost
/// "kill". Its output is kept for failure messages (<see cref="Describe"/>). It is always killed
/// on dispose, and a watcher kills it if the test process dies first.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private const int KeptLines = 400;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private static readonly Lazy<string> SiloDll = new(FindSiloDll);
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Process _process;

    private SiloProcess(string name, string clusterId, int httpPort, int siloPort, int gatewayPort, Process process)
    {
        Name = name;
        ClusterId = clusterId;
        HttpPort = httpPort;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        _process = process;
    }

    /// <summary>The silo's name (<c>Chat:Silo:Name</c>).</summary>
    public string Name { get; }

    /// <summary>Its cluster (<c>Chat:Silo:ClusterId</c>).</summary>
    public string ClusterId { get; }

    /// <summary>Its HTTP port (health, metrics, status).</summary>
    public int HttpPort { get; }

    /// <summary>Its Orleans silo port (the port of its <c>SiloAddress</c>).</summary>
    public int SiloPort { get; }

    /// <summary>Its Orleans gateway port.</summary>
    public int GatewayPort { get; }

    /// <summary>Its base HTTP address.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}/");

    /// <summary>The process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The path of the silo program this helper runs.</summary>
    public static string SiloDllPath => SiloDll.Value;

    /// <summary>
    /// Starts a silo on <paramref name="connectionString"/> in cluster <paramref name="clusterId"/> and
    /// waits until it is ready. <paramref name="environment"/> adds or overrides variables (e.g.
    /// <c>Chat__Demo__Load</c>).
    /// </summary>
    public static async Task<SiloProcess> StartAsync(
        string connectionString, string clusterId, string name,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var ports = FreePorts.Take(3);
        var dll = SiloDll.Value;
        var startInfo = new ProcessStartInfo(DotnetHost(), [dll, "--urls", $"http://127.0.0.1:{ports[0]}"])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.Environment["Chat__Database__ConnectionString"] = connectionString;
        startInfo.Environment["Chat__Silo__Name"] = name;
        startInfo.Environment["Chat__Silo__ClusterId"] = clusterId;
        startInfo.Environment["Chat__Silo__SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["Chat__Silo__GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["DOTNET_gcServer"] = "0";
        startInfo.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {dll}.");
        var silo = new SiloProcess(name, clusterId, ports[0], ports[1], ports[2], process);
        process.OutputDataReceived += (_, e) => silo.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Keep(e.Data is null ? null : "stderr: " + e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        StartOrphanWatcher(process.Id);
        try
        {
            await silo.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await silo.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return silo;
    }

    /// <summary>Crashes the silo: SIGKILL, no shutdown of any kind. Returns once the process is gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        _process.WaitForExit(30_000);
    }

    /// <summary>Sends a signal by name (<c>TERM</c> for a graceful stop, <c>STOP</c>/<c>CONT</c> to pause).</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)])
            ?? throw new InvalidOperationException("Could not run kill.");
        await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    /// <summary>Waits until the process has exited (after <see cref="SignalAsync"/> with TERM).</summary>
    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    /// <summary>Name, ports, state and the last lines of output, for failure messages.</summary>
    public string Describe()
    {
        var state = _process.HasExited ? $"exited with {_process.ExitCode}" : "running";
        return $"silo {Name} (pid {_process.Id}, http {HttpPort}, silo {SiloPort}, gateway {GatewayPort}, {state}); last output:"
            + Environment.NewLine + string.Join(Environment.NewLine, _output);
    }

    /// <inheritdoc />
    public override string ToString() => $"silo {Name} (silo port {SiloPort})";

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The silo exited before it was ready: {Describe()}");
            }

            if (deadline.Elapsed > ReadyTimeout)
            {
                throw new TimeoutException($"The silo was not ready within {ReadyTimeout.TotalSeconds:0} s: {Describe()}");
            }

            try
            {
                using var response = await http.GetAsync("health/ready", cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet.
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A shell that SIGKILLs the silo when this (test) process is gone, so a killed or crashed test
    /// run leaves no silo behind; it ends by itself once the silo is gone.
    /// </summary>
    private static void StartOrphanWatcher(int siloPid)
    {
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null && kill -0 {siloPid} 2>/dev/null; do sleep 1; done; kill -9 {siloPid} 2>/dev/null; exit 0";
        var watcher = Process.Start(new ProcessStartInfo("sh", ["-c", script])
        {
            UseShellExecute = false,
        });
        watcher?.Dispose();
    }

    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    /// <summary>
    /// The silo program of the same configuration as the running test assembly
    /// (<c>…/bin/&lt;Configuration&gt;/net10.0/</c>), found by walking up to the repository root.
    /// </summary>
    private static string FindSiloDll()
    {
        var baseDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = baseDirectory.Name;
        var configuration = baseDirectory.Parent?.Name ?? "Release";
        for (var directory = baseDirectory; directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "src", "Chat.Silo", "bin", configuration, framework, "Chat.Silo.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"Chat.Silo.dll ({configuration}, {framework}) was not found above {AppContext.BaseDirectory}: build the solution (or src/Chat.Silo -c {configuration}) first.");
    }
}
