using Chat.Grains.Diagnostics;
using Chat.Grains.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Grains.Conversations;

/// <summary>
/// Saves delivered positions for the whole silo. Receipts arrive per message and recipient (a
/// 500-member group makes 500 per message), so conversations only move the position in memory and
/// hand it over here; every <see cref="FlushInterval"/> all moved positions go to PostgreSQL in one
/// statement, however many conversations they belong to. A crash loses at most that interval of
/// "delivered" ticks, never a message or a read position; positions never move back (GREATEST), so
/// an older write landing after a newer one from another silo changes nothing. Disposal — after the
/// silo stopped and deactivated its grains — writes what is left.
/// </summary>
internal sealed class DeliveredReceiptWriter : IAsyncDisposable
{
    /// <summary>How long a receipt waits in memory for others to be written with it.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan FinalFlushTimeout = TimeSpan.FromSeconds(5);

    private readonly ChatDatabase _database;
    private readonly ILogger<DeliveredReceiptWriter> _logger;
    private readonly ITimer _timer;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly object _lock = new();
    private Dictionary<(Guid ConversationId, Guid UserId), long> _pending = [];

    public DeliveredReceiptWriter(ChatDatabase database, TimeProvider time, ILogger<DeliveredReceiptWriter> logger)
    {
        _database = database;
        _logger = logger;
        // A tick while the previous write still runs (a slow database) leaves the batch to grow.
        _timer = time.CreateTimer(_ => _ = WriteAloneAsync(0, CancellationToken.None), null, FlushInterval, FlushInterval);
    }

    /// <summary>Positions recorded and not written yet.</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Records that <paramref name="userId"/> got everything up to <paramref name="seq"/> in a conversation.</summary>
    public void Record(Guid conversationId, Guid userId, long seq)
    {
        lock (_lock)
        {
            if (!_pending.TryGetValue((conversationId, userId), out var known) || known < seq)
            {
                _pending[(conversationId, userId)] = seq;
            }
        }
    }

    /// <summary>Writes every recorded position now (waits for a write already running).</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => WriteAloneAsync(Timeout.Infinite, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync();
        using var timeout = new CancellationTokenSource(FinalFlushTimeout);
        try
        {
            await FlushAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The database did not answer in time: these ticks are lost, as after a crash.
        }
    }

    /// <summary>One write at a time; waits up to <paramref name="waitMilliseconds"/> for a running one, else skips.</summary>
    private async Task WriteAloneAsync(int waitMilliseconds, CancellationToken cancellationToken)
    {
        if (!await _writing.WaitAsync(waitMilliseconds, cancellationToken))
        {
            return;
        }

        try
        {
            await WriteAsync(cancellationToken);
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        Dictionary<(Guid ConversationId, Guid UserId), long> batch;
        lock (_lock)
        {
            if (_pending.Count == 0)
            {
                return;
            }

            batch = _pending;
            _pending = [];
        }

        var conversations = new Guid[batch.Count];
        var users = new Guid[batch.Count];
        var seqs = new long[batch.Count];
        var i = 0;
        foreach (var ((conversationId, userId), seq) in batch)
        {
            (conversations[i], users[i], seqs[i]) = (conversationId, userId, seq);
            i++;
        }

        try
        {
            await using var connection = await _database.OpenAsync(cancellationToken);
            await using var command = connection.Command(
                "UPDATE conversation_participants p SET last_delivered_seq = GREATEST(p.last_delivered_seq, d.seq) " +
                "FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS d(conversation_id, user_id, seq) " +
                "WHERE p.conversation_id = d.conversation_id AND p.user_id = d.user_id",
                null, conversations, users, seqs);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            ChatLog.DeliveredSaveFailed(_logger, batch.Count, exception);
            lock (_lock)
            {
                // Back for the next write, unless newer positions arrived meanwhile.
                foreach (var (key, seq) in batch)
                {
                    if (!_pending.TryGetValue(key, out var newer) || newer < seq)
                    {
                        _pending[key] = seq;
                    }
                }
            }

            if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }
        }
    }
}
