using Chat.Testing;
using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Chat.Benchmarks;

/// <summary>
/// A throwaway PostgreSQL server for the cluster suite's membership table: <c>initdb</c> and
/// <c>pg_ctl</c> (as the <c>postgres</c> user via <c>runuser</c> when this process is root) on a
/// free loopback port, its data directory under /tmp, durability off. <see cref="Dispose"/> stops it
/// (immediate mode) and deletes the directory; so do process exit and Ctrl+C.
/// </summary>
public sealed class PostgresInstance : IDisposable
{
    private readonly string _bin;
    private readonly string[] _runAs;
    private int _stopped;

    private PostgresInstance(string bin, string[] runAs, string dataDirectory, int port)
    {
        _bin = bin;
        _runAs = runAs;
        DataDirectory = dataDirectory;
        Port = port;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Database = "postgres",
            Timeout = 15,
        }.ConnectionString;
    }

    public string DataDirectory { get; }

    public int Port { get; }

    /// <summary>The <c>postgres</c> database, as superuser (trust authentication on loopback).</summary>
    public string ConnectionString { get; }

    public static async Task<PostgresInstance> StartAsync()
    {
        var bin = FindBinDirectory();
        string[] runAs = Environment.UserName == "root" ? ["runuser", "-u", "postgres", "--"] : [];
        var data = Path.Combine("/tmp", "chat-bench-pg-" + Guid.NewGuid().ToString("N")[..10]);
        var instance = new PostgresInstance(bin, runAs, data, FreePorts.Take(1)[0]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => instance.Dispose();
        Console.CancelKeyPress += (_, _) => instance.Dispose();
        try
        {
            await instance.RunAsync("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C");
            var options = string.Join(' ',
                $"-p {instance.Port.ToString(CultureInfo.InvariantCulture)}", $"-k {data}", "-c listen_addresses=127.0.0.1",
                "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=100");
            await instance.RunAsync("pg_ctl", "-D", data, "-l", Path.Combine(data, "postgres.log"), "-w", "-t", "60", "-o", options, "start");
            return instance;
        }
        catch
        {
            instance.Dispose();
            throw;
        }
    }

    /// <summary>Stops the server (immediate shutdown: nothing in it is worth a checkpoint) and deletes its directory.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                RunAsync("pg_ctl", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop").GetAwaiter().GetResult();
            }
        }
        catch (InvalidOperationException exception)
        {
            Console.Error.WriteLine($"warning: stopping PostgreSQL in {DataDirectory}: {exception.Message}");
        }

        try
        {
            if (Directory.Exists(DataDirectory))
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"warning: could not delete {DataDirectory}: {exception.Message}");
        }
    }

    private async Task RunAsync(string tool, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(_runAs.Length > 0 ? _runAs[0] : Path.Combine(_bin, tool))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/tmp",
        };
        foreach (var argument in _runAs.Skip(1).Concat(_runAs.Length > 0 ? [Path.Combine(_bin, tool)] : []).Concat(arguments))
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {tool}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            var log = Path.Combine(DataDirectory, "postgres.log");
            var tail = File.Exists(log) ? string.Join(Environment.NewLine, File.ReadLines(log).TakeLast(20)) : "";
            throw new InvalidOperationException($"{tool} exited with {process.ExitCode}: {await output}{await error}{tail}");
        }
    }

    private static string FindBinDirectory()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).ToList();
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal).Select(d => Path.Combine(d, "bin")));
        }

        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException("PostgreSQL's initdb and pg_ctl were not found (PATH, /usr/lib/postgresql/*/bin).");
    }
}
