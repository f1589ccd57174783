using System.Collections.Immutable;
using Chat.Frontend.Hosting;
using Chat.Grains;

namespace Chat.Frontend.Realtime;

/// <summary>
/// Tells conversations what this frontend pushed ("delivered" receipts), batched: the positions
/// reported during one <see cref="FlushInterval"/> go to each conversation in one call, so a message
/// to a 500-member group costs one call instead of 500, and a recipient's consecutive messages
/// collapse into their highest seq. Receipts are best effort (a crash loses that moment of ticks,
/// never a message); a graceful stop sends what is left.
/// </summary>
internal sealed class DeliveryReports : IAsyncDisposable
{
    /// <summary>How long a report waits for others to the same conversation.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private readonly IClusterClient _cluster;
    private readonly ILogger<DeliveryReports> _logger;
    private readonly ITimer _timer;
    private readonly object _lock = new();
    private Dictionary<Guid, Dictionary<Guid, long>> _pending = [];

    public DeliveryReports(IClusterClient cluster, TimeProvider time, ILogger<DeliveryReports> logger)
    {
        _cluster = cluster;
        _logger = logger;
        _timer = time.CreateTimer(_ => _ = FlushAsync(), null, FlushInterval, FlushInterval);
    }

    /// <summary>Records that a client of <paramref name="userId"/> got the conversation's messages up to <paramref name="seq"/>.</summary>
    public void Record(Guid userId, Guid conversationId, long seq)
    {
        lock (_lock)
        {
            if (!_pending.TryGetValue(conversationId, out var users))
            {
                _pending[conversationId] = users = [];
            }

            if (!users.TryGetValue(userId, out var known) || known < seq)
            {
                users[userId] = seq;
            }
        }
    }

    /// <summary>Sends every recorded report now; completes when the conversations took them (or failed).</summary>
    public Task FlushAsync()
    {
        Dictionary<Guid, Dictionary<Guid, long>> batch;
        lock (_lock)
        {
            if (_pending.Count == 0)
            {
                return Task.CompletedTask;
            }

            batch = _pending;
            _pending = [];
        }

        var calls = new List<Task>(batch.Count);
        foreach (var (conversationId, users) in batch)
        {
            calls.Add(ReportAsync(conversationId, [.. users.Select(u => new DeliveredMark(u.Key, u.Value))]));
        }

        return Task.WhenAll(calls);
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync();
        await FlushAsync();
    }

    private async Task ReportAsync(Guid conversationId, ImmutableArray<DeliveredMark> marks)
    {
        try
        {
            await _cluster.GetGrain<IConversationGrain>(conversationId).MarkDeliveredMany(marks);
        }
        catch (Exception exception)
        {
            FrontendLog.DeliveryReportFailed(_logger, marks.Length, conversationId, exception.Message);
        }
    }
}
