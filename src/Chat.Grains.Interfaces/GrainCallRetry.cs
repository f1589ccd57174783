using System.Diagnostics;
using Orleans.Runtime;

namespace Chat.Grains;

/// <summary>
/// Retries an idempotent grain call while the cluster says the target is momentarily unreachable:
/// its silo died or is leaving and the grain is being placed elsewhere (Orleans'
/// <see cref="SiloUnavailableException"/>) or a message was rejected on the way (e.g. a gateway or
/// silo shutting down: <see cref="OrleansMessageRejectionException"/>). Backs off from 50 ms to 1 s
/// within a budget (default 15 s: three times the failure detector's death timeout). Timeouts are
/// retried only when the caller says the call is idempotent (<c>retryTimeouts</c>): their outcome is
/// unknown and the call may still be running — a call in flight to a silo that was killed ends only
/// at its response timeout.
/// Written by hand rather than with a resilience library: it sits on the fan-out path (every notice
/// of every message), where an extra async layer and a pipeline allocation per call show.
/// </summary>
public static class GrainCallRetry
{
    /// <summary>
    /// Budget of an idempotent send: room for one response timeout of the frontends' cluster client
    /// (5 s, see the frontend's client configuration) and retries after it.
    /// </summary>
    public static readonly TimeSpan SendBudget = TimeSpan.FromSeconds(25);

    /// <summary>The default retry budget.</summary>
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(1);

    /// <summary>Whether <paramref name="exception"/> says "try again, the grain will be reachable".</summary>
    public static bool IsTransient(Exception exception) => exception is SiloUnavailableException or OrleansMessageRejectionException;

    private static bool MayRetry(Exception exception, bool retryTimeouts) => IsTransient(exception) || (retryTimeouts && exception is TimeoutException);

    /// <summary>Runs <paramref name="call"/>, retrying transient cluster failures (and timeouts of idempotent calls) within <paramref name="budget"/>.</summary>
    public static async Task RunAsync(Func<Task> call, TimeSpan? budget = null, CancellationToken cancellationToken = default, bool retryTimeouts = false)
    {
        ArgumentNullException.ThrowIfNull(call);
        var backoff = new Backoff(budget, cancellationToken);
        while (true)
        {
            try
            {
                // ConfigureAwait(true): inside a grain the retry continues on the grain's turn.
                await call().ConfigureAwait(true);
                return;
            }
            catch (Exception exception) when (MayRetry(exception, retryTimeouts) && backoff.MayRetry)
            {
            }

            await backoff.PauseAsync().ConfigureAwait(true);
        }
    }

    /// <summary>Runs <paramref name="call"/>, retrying transient cluster failures (and timeouts of idempotent calls) within <paramref name="budget"/>.</summary>
    public static async Task<T> RunAsync<T>(Func<Task<T>> call, TimeSpan? budget = null, CancellationToken cancellationToken = default, bool retryTimeouts = false)
    {
        ArgumentNullException.ThrowIfNull(call);
        var backoff = new Backoff(budget, cancellationToken);
        while (true)
        {
            try
            {
                return await call().ConfigureAwait(true);
            }
            catch (Exception exception) when (MayRetry(exception, retryTimeouts) && backoff.MayRetry)
            {
            }

            await backoff.PauseAsync().ConfigureAwait(true);
        }
    }

    private struct Backoff(TimeSpan? budget, CancellationToken cancellationToken)
    {
        private readonly TimeSpan _limit = budget ?? DefaultBudget;
        private readonly long _started = Stopwatch.GetTimestamp();
        private TimeSpan _delay = FirstDelay;

        public readonly bool MayRetry => Stopwatch.GetElapsedTime(_started) + _delay < _limit && !cancellationToken.IsCancellationRequested;

        public Task PauseAsync()
        {
            var delay = _delay;
            _delay = delay * 2 < MaxDelay ? delay * 2 : MaxDelay;
            return Task.Delay(delay, cancellationToken);
        }
    }
}
