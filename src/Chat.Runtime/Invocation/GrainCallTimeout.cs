namespace Chat.Runtime;

/// <summary>
/// Overrides the call timeout for the calls made in a scope (flows with async code):
/// <c>using (GrainCallTimeout.Override(TimeSpan.FromSeconds(2))) { await grain.DoAsync(); }</c>.
/// Precedence: this override, then the method's <see cref="ResponseTimeoutAttribute"/>, then
/// <c>Chat:Messaging:ResponseTimeout</c>.
/// </summary>
public static class GrainCallTimeout
{
    private static readonly AsyncLocal<TimeSpan?> Ambient = new();

    /// <summary>The override in force, if any.</summary>
    public static TimeSpan? Current => Ambient.Value;

    /// <summary>Sets the timeout for calls made until the returned scope is disposed.</summary>
    public static IDisposable Override(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        var previous = Ambient.Value;
        Ambient.Value = timeout;
        return new Scope(previous);
    }

    private sealed class Scope(TimeSpan? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
