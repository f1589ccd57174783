using System.Diagnostics;

namespace Chat.Runtime;

/// <summary>
/// Retries grain calls that failed with <see cref="SiloUnavailableException"/>: the silo that owned
/// the grain died, is leaving or could not be reached. Until the cluster notices (up to the death
/// timeout), the grain's owner keeps failing; after that, the next attempt reaches its new
/// activation. Only for calls the receiver can take twice (an attempt may have run on the silo
/// that died just before it could answer).
/// </summary>
public static class GrainCallRetry
{
    /// <summary>How long a failing call is retried by default: well beyond the default death timeout (4 s).</summary>
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs <paramref name="call"/>, retrying it with growing pauses while it fails because its silo
    /// is unavailable and <paramref name="budget"/> (default <see cref="DefaultBudget"/>) lasts; the
    /// last failure is thrown.
    /// </summary>
    public static async Task RunAsync(Func<Task> call, TimeSpan? budget = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        // Its own loop rather than a wrapper around the generic one: this sits on the fan-out path
        // (every notice of every message), where an extra async layer per call shows.
        var backoff = new Backoff(budget, cancellationToken);
        while (true)
        {
            try
            {
                // ConfigureAwait(true): inside a grain the retry continues on the grain's turn.
                await call().ConfigureAwait(true);
                return;
            }
            catch (SiloUnavailableException) when (backoff.MayRetry)
            {
            }

            await backoff.PauseAsync().ConfigureAwait(true);
        }
    }

    /// <summary>As <see cref="RunAsync(Func{Task}, TimeSpan?, CancellationToken)"/>, for a call with a result.</summary>
    public static async Task<T> RunAsync<T>(Func<Task<T>> call, TimeSpan? budget = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        var backoff = new Backoff(budget, cancellationToken);
        while (true)
        {
            try
            {
                return await call().ConfigureAwait(true);
            }
            catch (SiloUnavailableException) when (backoff.MayRetry)
            {
            }

            await backoff.PauseAsync().ConfigureAwait(true);
        }
    }

    /// <summary>
    /// The retry schedule of one call: doubling pauses up to <see cref="MaxDelay"/>, within the budget.
    /// A struct kept in the caller's state machine, so a call that succeeds at once allocates nothing
    /// for it.
    /// </summary>
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
