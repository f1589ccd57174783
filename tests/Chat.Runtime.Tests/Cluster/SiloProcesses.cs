using System.Diagnostics;
using Chat.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Runtime.Tests.Cluster;

/// <summary>Real silo processes (Chat.Runtime.SiloProcess) plus a cluster client in this process.</summary>
public sealed class SiloProcesses : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly List<Process> _processes = [];
    private IHost? _client;

    public SiloProcesses(string connectionString) => _connectionString = connectionString;

    public string ClusterId { get; } = "proc-" + Guid.NewGuid().ToString("N")[..12];

    public IReadOnlyList<Process> Processes => _processes;

    public IServiceProvider ClientServices => _client!.Services;

    public IClusterClient Client => ClientServices.GetRequiredService<IClusterClient>();

    public async Task StartAsync(int silos)
    {
        var started = new List<Task>();
        for (var i = 0; i < silos; i++)
        {
            started.Add(StartSiloAsync($"proc-silo-{i + 1}"));
        }

        await Task.WhenAll(started).WaitAsync(TimeSpan.FromSeconds(90));
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Chat:Database:ConnectionString"] = _connectionString,
            ["Chat:Silo:ClusterId"] = ClusterId,
        });
        builder.Services.AddChatClusterClient();
        _client = builder.Build();
        await _client.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await Infrastructure.Probe.WaitUntilAsync(() => ClientServices.GetRequiredService<ClusterClientState>().View.ActiveSilos.Count == silos, TimeSpan.FromSeconds(60));
    }

    private async Task StartSiloAsync(string name)
    {
        var startInfo = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Chat.Runtime.SiloProcess.dll"), "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.Environment["Chat__Database__ConnectionString"] = _connectionString;
        startInfo.Environment["Chat__Silo__ClusterId"] = ClusterId;
        startInfo.Environment["Chat__Silo__Name"] = name;
        var process = Process.Start(startInfo)!;
        lock (_processes)
        {
            _processes.Add(process);
        }

        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(90));
            if (line is null)
            {
                throw new InvalidOperationException($"Silo process {name} exited before it was ready (exit code {(process.HasExited ? process.ExitCode : -1)}).");
            }

            if (line.StartsWith("READY", StringComparison.Ordinal))
            {
                break;
            }
        }

        _ = process.StandardOutput.ReadToEndAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            _client.Dispose();
        }

        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }

            process.Dispose();
        }
    }
}
