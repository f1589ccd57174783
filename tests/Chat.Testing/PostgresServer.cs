using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Chat.Testing;

/// <summary>
/// A throwaway PostgreSQL server for tests.
/// </summary>
/// <remarks>
/// If the environment variable <c>CHAT_TEST_PG</c> holds an Npgsql connection string (of a superuser),
/// that server is used and nothing is started. Otherwise a fresh cluster is created in a temporary
/// directory (<c>chat-pg-*</c> under <c>CHAT_TEST_TMP</c> or the system temp directory) and run by a
/// watchdog shell in its own session: it stops PostgreSQL and deletes the directory when the test
/// process dies, so even a killed test run leaves neither processes nor directories behind.
/// </remarks>
public sealed partial class PostgresServer : IAsyncDisposable
{
    /// <summary>Environment variable naming an existing server to use instead of starting one.</summary>
    public const string ExternalServerVariable = "CHAT_TEST_PG";

    /// <summary>Environment variable naming the parent directory of the temporary server directories.</summary>
    public const string TempRootVariable = "CHAT_TEST_TMP";

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(30);
    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(StartSharedAsync);

    private readonly Process? _watchdog;
    private readonly SemaphoreSlim _disposeLock = new(1, 1);
    private bool _disposed;

    private PostgresServer(string connectionString, Process? watchdog, string? rootDirectory, int? processId)
    {
        ConnectionString = connectionString;
        _watchdog = watchdog;
        RootDirectory = rootDirectory;
        ProcessId = processId;
    }

    /// <summary>
    /// The server shared by every test of this process, started on first use and stopped at process exit.
    /// </summary>
    public static Task<PostgresServer> Shared => SharedServer.Value;

    /// <summary>Connection string of the <c>postgres</c> database, as superuser.</summary>
    public string ConnectionString { get; }

    /// <summary>True when the server came from <c>CHAT_TEST_PG</c> and is not owned by this instance.</summary>
    public bool IsExternal => _watchdog is null;

    /// <summary>The temporary directory holding the cluster, logs and socket (null when external).</summary>
    public string? RootDirectory { get; }

    /// <summary>Process id of the postmaster (null when external).</summary>
    public int? ProcessId { get; }

    /// <summary>Process id of the watchdog shell (null when external).</summary>
    public int? WatchdogProcessId => _watchdog?.Id;

    /// <summary>Starts a server watched on behalf of the current process, or wraps <c>CHAT_TEST_PG</c>.</summary>
    public static Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var external = Environment.GetEnvironmentVariable(ExternalServerVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return Task.FromResult(new PostgresServer(external, watchdog: null, rootDirectory: null, processId: null));
        }

        return StartLocalAsync(Environment.ProcessId, cancellationToken);
    }

    /// <summary>
    /// Starts a local server whose watchdog stops it as soon as <paramref name="watchedProcessId"/> is gone.
    /// Always starts a local server, even when <c>CHAT_TEST_PG</c> is set.
    /// </summary>
    internal static async Task<PostgresServer> StartLocalAsync(int watchedProcessId, CancellationToken cancellationToken)
    {
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryStartLocalAsync(watchedProcessId, cancellationToken).ConfigureAwait(false);
            }
            catch (PortInUseException) when (attempt < attempts)
            {
                // Another process took the port between picking and binding it: try another one.
            }
        }
    }

    /// <summary>Creates a fresh, uniquely named database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var name = UniqueDatabaseName(prefix);
        await using (var connection = new NpgsqlConnection(AdminConnectionString()))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return DatabaseConnectionString(name);
    }

    /// <summary>Returns the connection string of database <paramref name="name"/> on this server.</summary>
    public string DatabaseConnectionString(string name) =>
        new NpgsqlConnectionStringBuilder(ConnectionString)
        {
            Database = name,
            Pooling = true,
            MinPoolSize = 0,
            MaxPoolSize = 50,
            IncludeErrorDetail = true,
            Timeout = 15,
        }.ConnectionString;

    /// <summary>Drops database <paramref name="name"/>, disconnecting its sessions (no error if absent).</summary>
    public async Task DropDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        await using (var pooled = new NpgsqlConnection(DatabaseConnectionString(name)))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await using var connection = new NpgsqlConnection(AdminConnectionString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the server and deletes its directory; waits until the postmaster is gone.</summary>
    public async ValueTask DisposeAsync()
    {
        await _disposeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            NpgsqlConnection.ClearAllPools();
            if (_watchdog is not null)
            {
                await StopLocalAsync(_watchdog, RootDirectory!, ProcessId).ConfigureAwait(false);
            }
        }
        finally
        {
            _disposeLock.Release();
        }
    }

    private static async Task<PostgresServer> StartSharedAsync()
    {
        var server = await StartAsync(CancellationToken.None).ConfigureAwait(false);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                server.DisposeAsync().AsTask().Wait(StopDeadline);
            }
            catch (Exception)
            {
                // The watchdog is the safety net.
            }
        };
        return server;
    }

    private static async Task<PostgresServer> TryStartLocalAsync(int watchedProcessId, CancellationToken cancellationToken)
    {
        var binDirectory = FindPostgresBinDirectory();
        var runAs = Environment.UserName == "root" ? "postgres" : "";
        var parent = Environment.GetEnvironmentVariable(TempRootVariable);
        DirectoryInfo root;
        if (string.IsNullOrWhiteSpace(parent))
        {
            root = Directory.CreateTempSubdirectory("chat-pg-");
        }
        else
        {
            var parentDirectory = Directory.CreateDirectory(parent);
            if (runAs.Length > 0 && !OperatingSystem.IsWindows())
            {
                // The postgres user must be able to reach the cluster below this directory.
                parentDirectory.UnixFileMode |= UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            }

            root = Directory.CreateDirectory(Path.Combine(parent, "chat-pg-" + Guid.NewGuid().ToString("N")[..10]));
        }

        var port = PickFreePort();
        var script = Path.Combine(root.FullName, "watchdog.sh");
        await File.WriteAllTextAsync(script, WatchdogScript(), cancellationToken).ConfigureAwait(false);

        var startInfo = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
                 {
                     "bash", script, watchedProcessId.ToString(CultureInfo.InvariantCulture), root.FullName,
                     port.ToString(CultureInfo.InvariantCulture), runAs, binDirectory,
                 })
        {
            startInfo.ArgumentList.Add(argument);
        }

        Process watchdog;
        try
        {
            watchdog = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start the PostgreSQL watchdog.");
        }
        catch
        {
            root.Delete(recursive: true);
            throw;
        }

        watchdog.StandardInput.Close();
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Database = "postgres",
            Pooling = true,
            MaxPoolSize = 20,
            IncludeErrorDetail = true,
            Timeout = 15,
        }.ConnectionString;

        try
        {
            await WaitUntilReadyAsync(watchdog, root.FullName, connectionString, cancellationToken).ConfigureAwait(false);
            var pid = await ReadPostmasterPidAsync(root.FullName, cancellationToken).ConfigureAwait(false);
            return new PostgresServer(connectionString, watchdog, root.FullName, pid);
        }
        catch
        {
            await StopLocalAsync(watchdog, root.FullName, processId: null).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task WaitUntilReadyAsync(Process watchdog, string root, string connectionString, CancellationToken cancellationToken)
    {
        var probe = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 2 }.ConnectionString;
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var failed = Path.Combine(root, "failed");
            if (File.Exists(failed) || watchdog.HasExited)
            {
                var reason = File.Exists(failed) ? (await SafeReadAsync(failed).ConfigureAwait(false)).Trim() : "watchdog exited";
                var logs = await LogsAsync(root).ConfigureAwait(false);
                if (logs.Contains("Address already in use", StringComparison.Ordinal))
                {
                    throw new PortInUseException();
                }

                throw new InvalidOperationException($"PostgreSQL did not start ({reason}).{Environment.NewLine}{logs}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or SocketException or IOException or TimeoutException)
            {
                last = exception;
            }

            if (deadline.Elapsed > StartDeadline)
            {
                var logs = await LogsAsync(root).ConfigureAwait(false);
                throw new TimeoutException(
                    $"PostgreSQL did not accept connections within {StartDeadline.TotalSeconds:0} s ({last?.Message}).{Environment.NewLine}{logs}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task StopLocalAsync(Process watchdog, string root, int? processId)
    {
        try
        {
            await File.WriteAllTextAsync(Path.Combine(root, "stop"), "stop").ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Directory already gone: the watchdog is finishing anyway.
        }

        try
        {
            await watchdog.WaitForExitAsync().WaitAsync(StopDeadline).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Last resort: the watchdog hung. Kill what we know of and clean up ourselves.
            TryKill(watchdog);
            if (processId is { } pid)
            {
                TryKill(pid);
            }

            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
            }
        }
        finally
        {
            watchdog.Dispose();
        }
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception exception) when (exception is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    private static void TryKill(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            process.Kill();
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    private static async Task<int?> ReadPostmasterPidAsync(string root, CancellationToken cancellationToken)
    {
        var path = Path.Combine(root, "data", "postmaster.pid");
        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        var firstLine = text.Split('\n', 2)[0].Trim();
        return int.TryParse(firstLine, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    private static async Task<string> LogsAsync(string root)
    {
        var builder = new StringBuilder();
        foreach (var name in new[] { "initdb.log", "postgres.log", "watchdog.log" })
        {
            var path = Path.Combine(root, name);
            if (File.Exists(path))
            {
                builder.Append("--- ").Append(name).AppendLine(" ---");
                builder.AppendLine(await SafeReadAsync(path).ConfigureAwait(false));
            }
        }

        return builder.ToString();
    }

    private static async Task<string> SafeReadAsync(string path)
    {
        try
        {
            return await File.ReadAllTextAsync(path).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return $"(could not read {path}: {exception.Message})";
        }
    }

    private string AdminConnectionString() =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString;

    private static string UniqueDatabaseName(string prefix)
    {
        var cleaned = NonIdentifier().Replace(prefix.ToLowerInvariant(), "_").Trim('_');
        if (cleaned.Length == 0 || !char.IsAsciiLetter(cleaned[0]))
        {
            cleaned = "db_" + cleaned;
        }

        if (cleaned.Length > 40)
        {
            cleaned = cleaned[..40];
        }

        return $"{cleaned}_{Guid.NewGuid():N}"[..Math.Min(63, cleaned.Length + 1 + 16)];
    }

    private static int PickFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindPostgresBinDirectory()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .ToList();
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => d, StringComparer.Ordinal)
                .Select(d => Path.Combine(d, "bin")));
        }

        foreach (var directory in candidates)
        {
            if (File.Exists(Path.Combine(directory, "postgres")) && File.Exists(Path.Combine(directory, "initdb")))
            {
                return Path.GetFullPath(directory);
            }
        }

        throw new InvalidOperationException(
            $"PostgreSQL binaries (initdb, postgres) were not found on PATH; install PostgreSQL or set {ExternalServerVariable}.");
    }

    private static string WatchdogScript()
    {
        using var stream = typeof(PostgresServer).Assembly.GetManifestResourceStream("Chat.Testing.watchdog.sh")
            ?? throw new InvalidOperationException("The watchdog script resource is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex("[^a-z0-9_]+")]
    private static partial Regex NonIdentifier();

    private sealed class PortInUseException : Exception
    {
    }
}
