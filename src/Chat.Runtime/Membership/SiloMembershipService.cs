using System.Diagnostics;
using Chat.Runtime.Messaging;
using Microsoft.Extensions.Logging;

namespace Chat.Runtime.Membership;

/// <summary>
/// A silo's part in membership: joins (Joining → Active), heartbeats, declares silos with stale
/// heartbeats dead, fences itself when it finds itself dead, and leaves (ShuttingDown → Dead).
///
/// Two traps are avoided by judging staleness only while this silo's own heartbeats succeed and
/// have succeeded for a whole death timeout: after a PostgreSQL outage nobody has fresh heartbeats
/// yet, and after a long pause this silo's picture of the others is the stale one. Staleness is
/// re-checked by the database in the very statement that declares a silo dead.
/// </summary>
public sealed partial class SiloMembershipService : IAsyncDisposable
{
    private readonly MembershipTable _table;
    private readonly MembershipViewKeeper _keeper;
    private readonly ClusterOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _healthLock = new();
    private Task _heartbeatLoop = Task.CompletedTask;
    private long _lastHeartbeatOk;
    private long _healthySince;
    private int _fenced;
    private ClusterView _lastRead = ClusterView.Empty;
    private long _lastReadAt;
    private string? _lastDeclaration;
    private volatile bool _paused;
    private volatile bool _leaving;

    /// <summary>Creates the service for the silo at <paramref name="self"/>.</summary>
    public SiloMembershipService(SiloAddress self, string siloName, MembershipTable table, MembershipViewKeeper keeper, ClusterOptions options, ILogger logger)
    {
        Self = self;
        SiloName = siloName;
        _table = table;
        _keeper = keeper;
        _options = options;
        _logger = logger;
        _keeper.Read += OnRead;
    }

    /// <summary>This silo.</summary>
    public SiloAddress Self { get; }

    /// <summary>This silo's name.</summary>
    public string SiloName { get; }

    /// <summary>Raised once when this silo finds itself declared dead: it must stop at once.</summary>
    public event Action? Fenced;

    /// <summary>Raised when a membership write or heartbeat fails (for metrics).</summary>
    public event Action<string>? DatabaseError;

    /// <summary>True once fenced.</summary>
    public bool IsFenced => Volatile.Read(ref _fenced) != 0;

    /// <summary>What the failure detector sees now: for operators' status pages and for test failures.</summary>
    public FailureDetectorStatus DetectorStatus
    {
        get
        {
            var now = Stopwatch.GetTimestamp();
            lock (_healthLock)
            {
                return new FailureDetectorStatus(
                    _lastHeartbeatOk == 0 ? null : Stopwatch.GetElapsedTime(_lastHeartbeatOk, now),
                    _healthySince == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_healthySince, now),
                    MayJudgeOthersLocked(now),
                    _lastReadAt == 0 ? null : Stopwatch.GetElapsedTime(_lastReadAt, now),
                    _lastRead.Members,
                    _lastDeclaration);
            }
        }
    }

    /// <summary>Inserts this silo as Joining, starts heartbeats, then becomes Active.</summary>
    public async Task JoinAsync(CancellationToken cancellationToken)
    {
        var entry = new SiloEntry(Self, SiloName, SiloStatus.Joining, Self.Port, _options.HttpUrl, default, default, default);
        await RetryOnConflictAsync(v => _table.InsertAsync(entry, v, cancellationToken), cancellationToken).ConfigureAwait(false);
        MarkHeartbeatOk();
        _heartbeatLoop = Task.Run(HeartbeatLoopAsync);
        await RetryOnConflictAsync(v => _table.UpdateStatusAsync(Self, SiloStatus.Active, v, null, null, cancellationToken), cancellationToken).ConfigureAwait(false);
        await _keeper.RefreshAsync(cancellationToken).ConfigureAwait(false);
        LogJoined(_logger, Self.ToString(), SiloName);
    }

    /// <summary>Marks this silo ShuttingDown: no new grains are placed here.</summary>
    public Task BeginLeaveAsync(CancellationToken cancellationToken) =>
        RetryOnConflictAsync(v => _table.UpdateStatusAsync(Self, SiloStatus.ShuttingDown, v, null, null, cancellationToken), cancellationToken);

    /// <summary>Marks this silo Dead and stops heartbeating.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        // Seeing ourselves dead from here on is our own doing, not a reason to fence.
        _leaving = true;
        await RetryOnConflictAsync(v => _table.UpdateStatusAsync(Self, SiloStatus.Dead, v, null, Self.ToString(), cancellationToken), cancellationToken).ConfigureAwait(false);
        _stop.Cancel();
        await _keeper.RefreshAsync(cancellationToken).ConfigureAwait(false);
        LogLeft(_logger, Self.ToString());
    }

    /// <summary>Stops heartbeats and detection without writing anything (a crash, for tests).</summary>
    public void Kill() => _stop.Cancel();

    /// <summary>Freezes heartbeats and failure detection (a stand-in for a process pause, for tests).</summary>
    public void Pause(bool paused) => _paused = paused;

    private async Task RetryOnConflictAsync(Func<long, Task<MembershipWrite>> write, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var view = await _keeper.RefreshAsync(cancellationToken).ConfigureAwait(false);
            if (await write(view.Version).ConfigureAwait(false) != MembershipWrite.VersionConflict)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 + Math.Min(attempt, 10) * 10)), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, _stop.Token).ConfigureAwait(false);
                if (_paused)
                {
                    continue;
                }

                var status = await _table.HeartbeatAsync(Self, _stop.Token).ConfigureAwait(false);
                if ((status is null or SiloStatus.Dead) && !_leaving)
                {
                    Fence(status is null ? "its membership row is gone" : "it was declared dead");
                    return;
                }

                MarkHeartbeatOk();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogHeartbeatFailed(_logger, ex.Message);
                DatabaseError?.Invoke("membership-heartbeat");
            }
        }
    }

    private void MarkHeartbeatOk()
    {
        var now = Stopwatch.GetTimestamp();
        lock (_healthLock)
        {
            // A gap (outage or pause) restarts the period during which we do not judge others.
            if (_lastHeartbeatOk == 0 || Stopwatch.GetElapsedTime(_lastHeartbeatOk, now) > _options.HeartbeatInterval * 3)
            {
                _healthySince = now;
            }

            _lastHeartbeatOk = now;
        }
    }

    private bool MayJudgeOthers()
    {
        var now = Stopwatch.GetTimestamp();
        lock (_healthLock)
        {
            return MayJudgeOthersLocked(now);
        }
    }

    private bool MayJudgeOthersLocked(long now) =>
        _lastHeartbeatOk != 0
        && Stopwatch.GetElapsedTime(_lastHeartbeatOk, now) <= _options.HeartbeatInterval * 3
        && Stopwatch.GetElapsedTime(_healthySince, now) >= _options.DeathTimeout;

    private void OnRead(ClusterView view)
    {
        lock (_healthLock)
        {
            _lastRead = view;
            _lastReadAt = Stopwatch.GetTimestamp();
        }

        if (_stop.IsCancellationRequested || _paused || _leaving)
        {
            return;
        }

        var self = view.Members.FirstOrDefault(m => m.Address == Self);
        if (self is { Status: SiloStatus.Dead })
        {
            Fence("it was declared dead");
            return;
        }

        if (!MayJudgeOthers())
        {
            return;
        }

        foreach (var member in view.Members)
        {
            if (member.Address != Self && member.Status != SiloStatus.Dead && member.HeartbeatAge > _options.DeathTimeout)
            {
                _ = DeclareDeadAsync(member, view.Version);
            }
        }
    }

    private async Task DeclareDeadAsync(SiloEntry member, long version)
    {
        try
        {
            var result = await _table.UpdateStatusAsync(member.Address, SiloStatus.Dead, version, _options.DeathTimeout, Self.ToString(), _stop.Token).ConfigureAwait(false);
            if (result == MembershipWrite.Applied)
            {
                LogDeclaredDead(_logger, member.Address.ToString(), member.Name, member.HeartbeatAge.TotalSeconds);
            }

            _lastDeclaration = $"{member.Name} at v{version}: {result}";

            // A version conflict means someone else changed the table first; the next read decides again.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _lastDeclaration = $"{member.Name} at v{version}: {ex.GetType().Name} {ex.Message}";
            LogHeartbeatFailed(_logger, ex.Message);
            DatabaseError?.Invoke("membership-write");
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Fence(string reason)
    {
        if (Interlocked.Exchange(ref _fenced, 1) != 0)
        {
            return;
        }

        LogFenced(_logger, Self.ToString(), reason);
        _stop.Cancel();
        Fenced?.Invoke();
    }

    /// <summary>Stops the loops.</summary>
    public async ValueTask DisposeAsync()
    {
        _keeper.Read -= OnRead;
        _stop.Cancel();
        try
        {
            await _heartbeatLoop.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopping.
        }
    }

    [LoggerMessage(3101, LogLevel.Information, "Silo {Silo} ({Name}) joined the cluster")]
    private static partial void LogJoined(ILogger logger, string silo, string name);

    [LoggerMessage(3102, LogLevel.Information, "Silo {Silo} left the cluster")]
    private static partial void LogLeft(ILogger logger, string silo);

    [LoggerMessage(3103, LogLevel.Warning, "Declared silo {Silo} ({Name}) dead: no heartbeat for {Seconds:F1} s")]
    private static partial void LogDeclaredDead(ILogger logger, string silo, string name, double seconds);

    [LoggerMessage(3104, LogLevel.Critical, "Silo {Silo} is fenced and stops: {Reason}")]
    private static partial void LogFenced(ILogger logger, string silo, string reason);

    [LoggerMessage(3105, LogLevel.Warning, "Membership heartbeat or write failed: {Reason}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string reason);
}

/// <summary>A snapshot of a silo's failure detector.</summary>
/// <param name="SinceLastHeartbeat">Time since this silo's own last successful heartbeat (null before the first).</param>
/// <param name="HealthyFor">How long its heartbeats have succeeded without a gap.</param>
/// <param name="MayJudgeOthers">Whether it may declare stale silos dead now.</param>
/// <param name="SinceLastRead">Time since it last read the membership table (null before the first).</param>
/// <param name="LastRead">The rows of that read, with heartbeat ages by the database clock.</param>
/// <param name="LastDeclaration">The outcome of its last attempt to declare a silo dead.</param>
public sealed record FailureDetectorStatus(
    TimeSpan? SinceLastHeartbeat,
    TimeSpan HealthyFor,
    bool MayJudgeOthers,
    TimeSpan? SinceLastRead,
    IReadOnlyList<SiloEntry> LastRead,
    string? LastDeclaration)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"own heartbeat {Seconds(SinceLastHeartbeat)} ago, healthy for {HealthyFor.TotalSeconds:F1}s, may judge {MayJudgeOthers}, " +
        $"last read {Seconds(SinceLastRead)} ago [{string.Join(", ", LastRead.Select(m => m.Describe()))}], " +
        $"last declaration {LastDeclaration ?? "none"}";

    private static string Seconds(TimeSpan? span) => span is { } s ? $"{s.TotalSeconds:F1}s" : "never";
}
