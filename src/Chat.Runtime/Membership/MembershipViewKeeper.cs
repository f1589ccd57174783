using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Runtime.Membership;

/// <summary>
/// Keeps the latest <see cref="ClusterView"/>: a periodic full read (the safety net) plus
/// LISTEN/NOTIFY for changes within milliseconds. Used by silos and by cluster clients.
/// </summary>
public sealed partial class MembershipViewKeeper : IAsyncDisposable
{
    private readonly MembershipTable _table;
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeSpan _readInterval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _readLock = new(1, 1);
    private readonly object _viewLock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ClusterView _view = ClusterView.Empty;
    private Task _loops = Task.CompletedTask;

    /// <summary>Creates a keeper over <paramref name="table"/>.</summary>
    public MembershipViewKeeper(MembershipTable table, NpgsqlDataSource dataSource, TimeSpan readInterval, ILogger logger)
    {
        _table = table;
        _dataSource = dataSource;
        _readInterval = readInterval;
        _logger = logger;
    }

    /// <summary>The latest view.</summary>
    public ClusterView Current => Volatile.Read(ref _view);

    /// <summary>Raised (outside any lock, in version order) when the view's version increases.</summary>
    public event Action<ClusterView, ClusterView>? ViewChanged;

    /// <summary>Raised after every successful read, with the fresh rows and heartbeat ages.</summary>
    public event Action<ClusterView>? Read;

    /// <summary>Raised when reading the table fails.</summary>
    public event Action<Exception>? ReadFailed;

    /// <summary>
    /// Reads once, then keeps reading in the background. With <paramref name="requireFirstRead"/>
    /// false (cluster clients), an unreachable database or a missing table is not fatal: the view
    /// stays empty until a later read succeeds.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken, bool requireFirstRead = true)
    {
        try
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!requireFirstRead && ex is not OperationCanceledException)
        {
            ReadFailed?.Invoke(ex);
        }

        _loops = Task.WhenAll(Task.Run(ReadLoopAsync), Task.Run(ListenLoopAsync));
    }

    /// <summary>Reads the table now and returns the (possibly newer) view.</summary>
    public async Task<ClusterView> RefreshAsync(CancellationToken cancellationToken = default)
    {
        await _readLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var view = await _table.ReadAsync(cancellationToken).ConfigureAwait(false);
            Publish(view);
            Read?.Invoke(view);
            return Current;
        }
        finally
        {
            _readLock.Release();
        }
    }

    /// <summary>Waits until the view's version is at least <paramref name="version"/>, reading as needed.</summary>
    public async Task<ClusterView> WaitForVersionAsync(long version, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_viewLock)
            {
                if (_view.Version >= version)
                {
                    return _view;
                }

                changed = _changed.Task;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return Current;
            }

            try
            {
                if ((await RefreshAsync(_stop.Token).ConfigureAwait(false)).Version >= version)
                {
                    continue;
                }

                // The version does not exist yet (someone is about to write it): read again soon, but
                // do not spin on the database until then.
                await Task.WhenAny(changed, Task.Delay(TimeSpan.FromMilliseconds(25))).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
            {
                await Task.WhenAny(changed, Task.Delay(TimeSpan.FromMilliseconds(100))).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Adopts a view if it is newer than the current one (called under the read lock).</summary>
    private void Publish(ClusterView view)
    {
        ClusterView old;
        TaskCompletionSource changed;
        lock (_viewLock)
        {
            old = _view;
            if (view.Version <= old.Version)
            {
                return;
            }

            _view = view;
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        // Only RefreshAsync publishes, under its read lock, so subscribers see versions in order.
        ViewChanged?.Invoke(old, view);
        changed.TrySetResult();
    }

    private async Task ReadLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_readInterval, _stop.Token).ConfigureAwait(false);
                await RefreshAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                ReadFailed?.Invoke(ex);
            }
        }
    }

    private async Task ListenLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(_stop.Token).ConfigureAwait(false);
                connection.Notification += (_, e) =>
                {
                    if (e.Payload == _table.ClusterId)
                    {
                        _ = RefreshQuietlyAsync();
                    }
                };
                await using (var listen = new NpgsqlCommand("LISTEN " + MembershipTable.NotifyChannel, connection))
                {
                    await listen.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
                }

                // Changes made while we were not listening.
                await RefreshQuietlyAsync().ConfigureAwait(false);
                while (!_stop.IsCancellationRequested)
                {
                    await connection.WaitAsync(_stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogListenFailed(_logger, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RefreshQuietlyAsync()
    {
        try
        {
            await RefreshAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ReadFailed?.Invoke(ex);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops reading.</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _loops.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopping.
        }
    }

    [LoggerMessage(3001, LogLevel.Debug, "Membership LISTEN connection failed: {Reason}")]
    private static partial void LogListenFailed(ILogger logger, string reason);
}
