namespace Chat.Runtime.Activation;

/// <summary>
/// Routes the continuations of a grain's awaits back onto its activation, which runs them one at
/// a time. This is what keeps a reentrant grain single-threaded even while its requests interleave.
/// </summary>
internal sealed class ActivationSynchronizationContext(ActivationData activation) : SynchronizationContext
{
    public ActivationData Activation { get; } = activation;

    public override void Post(SendOrPostCallback d, object? state) => Activation.PostContinuation(d, state);

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (Current == this)
        {
            d(state);
            return;
        }

        throw new NotSupportedException("Synchronous Send into a grain activation would block a thread; use async calls.");
    }

    public override SynchronizationContext CreateCopy() => this;
}
