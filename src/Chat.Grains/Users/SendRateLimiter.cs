namespace Chat.Grains.Users;

/// <summary>A sliding-window log: at most <c>limit</c> sends in any <c>window</c>.</summary>
internal sealed class SendRateLimiter
{
    private readonly Queue<DateTimeOffset> _sends = new();

    public RateLimitStatus Status(DateTimeOffset now, int limit, TimeSpan window)
    {
        Expire(now, window);
        var reset = _sends.Count > 0 ? _sends.Peek() + window : now;
        return new RateLimitStatus(limit, Math.Max(0, limit - _sends.Count), reset);
    }

    /// <summary>Counts a send if allowed; otherwise returns false and the seconds until one is.</summary>
    public bool TryAcquire(DateTimeOffset now, int limit, TimeSpan window, out RateLimitStatus status, out int retryAfterSeconds)
    {
        Expire(now, window);
        while (_sends.Count > limit)
        {
            // The limit was lowered by configuration: forget the oldest.
            _sends.Dequeue();
        }

        if (_sends.Count >= limit)
        {
            var reset = _sends.Peek() + window;
            retryAfterSeconds = Math.Max(1, (int)Math.Ceiling((reset - now).TotalSeconds));
            status = new RateLimitStatus(limit, 0, reset);
            return false;
        }

        _sends.Enqueue(now);
        retryAfterSeconds = 0;
        status = new RateLimitStatus(limit, limit - _sends.Count, _sends.Peek() + window);
        return true;
    }

    private void Expire(DateTimeOffset now, TimeSpan window)
    {
        while (_sends.Count > 0 && _sends.Peek() + window <= now)
        {
            _sends.Dequeue();
        }
    }
}
