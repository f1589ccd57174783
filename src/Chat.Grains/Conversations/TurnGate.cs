using System.Collections.Concurrent;
using System.Reflection;

namespace Chat.Grains.Conversations;

/// <summary>
/// Admits a reentrant grain's calls one at a time, in arrival order, and lets the call inside end
/// its turn early (<see cref="Turn.Release"/>): what Orleans' non-reentrant scheduling does, plus
/// the early end it lacks. Used only on the grain's own scheduler, so its state needs no lock.
/// </summary>
internal sealed class TurnGate
{
    private static readonly ConcurrentDictionary<MethodInfo, bool> InterleavingMethods = new();
    private readonly Queue<TaskCompletionSource<Turn>> _waiting = new();
    private Turn? _current;

    /// <summary>The turn of the call inside the gate; null when the gate is open.</summary>
    public Turn? Current => _current;

    /// <summary>Whether calls of <paramref name="method"/> bypass the gate (<see cref="AlwaysInterleaveAttribute"/>).</summary>
    public static bool Interleaves(MethodInfo method) =>
        InterleavingMethods.GetOrAdd(method, m => m.GetCustomAttribute<AlwaysInterleaveAttribute>() is not null);

    /// <summary>Waits until the calls before this one ended or released their turn.</summary>
    public Task<Turn> EnterAsync()
    {
        if (_current is null)
        {
            _current = new Turn(this);
            return Task.FromResult(_current);
        }

        // The continuation runs on the grain's scheduler (the awaiter captured it), never inline.
        var waiter = new TaskCompletionSource<Turn>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting.Enqueue(waiter);
        return waiter.Task;
    }

    private void Exit(Turn turn)
    {
        if (!ReferenceEquals(_current, turn))
        {
            return;
        }

        if (_waiting.TryDequeue(out var next))
        {
            _current = new Turn(this);
            next.SetResult(_current);
        }
        else
        {
            _current = null;
        }
    }

    /// <summary>One call's hold on the gate.</summary>
    public sealed class Turn(TurnGate gate)
    {
        private bool _released;

        /// <summary>Lets the next call in; the call itself goes on. Idempotent.</summary>
        public void Release()
        {
            if (_released)
            {
                return;
            }

            _released = true;
            gate.Exit(this);
        }
    }
}
