namespace Chat.Grains.Conversations;

/// <summary>
/// Keeps a conversation's notices to each participant in order once sends no longer wait for each
/// other: a notice to a user goes out only after the previous one to that user was taken (or given
/// up). Different users are told in parallel. Used only on the grain's own turns and continuations,
/// which never run at the same time, so it needs no lock.
/// </summary>
internal sealed class NoticeQueue
{
    private readonly Dictionary<Guid, Task> _tails = [];

    /// <summary>Sends <paramref name="notice"/> to <paramref name="userId"/> after the ones before it; completes when it was sent.</summary>
    public Task Tell(Guid userId, Func<Task> notice)
    {
        var told = _tails.TryGetValue(userId, out var tail) && !tail.IsCompleted ? AfterAsync(tail, notice) : notice();
        if (told.IsCompleted)
        {
            _tails.Remove(userId);
        }
        else
        {
            _tails[userId] = told;
        }

        return told;
    }

    /// <summary>Completes when every notice queued so far was sent (or <paramref name="timeout"/> passed).</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        var pending = _tails.Values.Where(t => !t.IsCompleted).ToArray();
        _tails.Clear();
        try
        {
            await Task.WhenAll(pending).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            // Given up on: each notice's own retry budget ends it, and its failure is logged there.
        }
    }

    private static async Task AfterAsync(Task previous, Func<Task> notice)
    {
        try
        {
            await previous;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The previous notice's failure was logged where it happened; this one goes out anyway.
        }

        await notice();
    }
}
