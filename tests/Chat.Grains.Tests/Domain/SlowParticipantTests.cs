using Chat.Grains.Conversations;
using Chat.Grains.Tests.Infrastructure;
using Chat.Testing;
using Npgsql;

namespace Chat.Grains.Tests.Domain;

/// <summary>
/// A conversation admits its calls one at a time (<see cref="TurnGate"/>), but a send ends its turn
/// once its message is durable: a participant slow to take a notice delays that send's ack, not the
/// next send's commit.
/// </summary>
public sealed class SlowParticipantTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task A_slow_participant_does_not_delay_the_next_sends_commit()
    {
        var filter = new HoldOnMessageFilter();
        await using var silo = await ChatSilo.StartClusterAsync(database.ConnectionString, new ChatSiloSetup { ConfigureSilo = s => s.AddIncomingGrainCallFilter(filter) });
        var a = await silo.RegisterAsync("ann");
        var b = await silo.RegisterAsync("ben");
        var org = await silo.OrganizationAsync(a, b);
        var dm = (await silo.DirectAsync(a, b, org)).Conversation;
        var conversation = silo.Conversation(dm.Id);

        // b's user grain takes no message notice until released.
        var hold = filter.Hold(silo.User(b.Id).GetGrainId());
        var first = conversation.SendMessage(a.Id, new SendMessageRequest("slow-1", "one"));
        await hold.Entered.WaitAsync(ChatSilo.Timeout);
        var second = conversation.SendMessage(a.Id, new SendMessageRequest("slow-2", "two"));

        // Message 2 is durable while message 1's ack still waits for b.
        await ChatSilo.EventuallyAsync(() => StoredAsync(dm.Id, "slow-2"), seq => seq is not null, "message 2 committed in PostgreSQL");
        Assert.False(first.IsCompleted, "message 1's ack waits for the slow participant");
        Assert.Equal(1, await StoredAsync(dm.Id, "slow-1"));
        Assert.Equal(2, await StoredAsync(dm.Id, "slow-2"));

        hold.Release();
        var acks = await Task.WhenAll(first, second).WaitAsync(ChatSilo.Timeout);

        Assert.Equal(new long[] { 1, 2 }, acks.Select(r => r.Message.Seq));
        Assert.All(acks, r => Assert.True(r.Created));
        // Acknowledged means told: b got both, in order.
        var told = silo.Events.EventsOf(b.Id).Select(e => e.Event).OfType<MessageCreatedEvent>().Where(e => e.ConversationId == dm.Id).Select(e => e.Message.Seq);
        Assert.Equal(new long[] { 1, 2 }, told);
    }

    [Fact]
    public async Task The_turn_gate_admits_calls_one_at_a_time_in_arrival_order_and_a_release_is_idempotent()
    {
        var gate = new TurnGate();
        var first = await gate.EnterAsync().WaitAsync(ChatSilo.Timeout);
        var waiting = Enumerable.Range(0, 5).Select(_ => gate.EnterAsync()).ToList();

        Assert.Same(first, gate.Current);
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        first.Release();
        first.Release();
        var admitted = new List<int>();
        for (var i = 0; i < waiting.Count; i++)
        {
            var turn = await waiting[i].WaitAsync(ChatSilo.Timeout);
            admitted.Add(i);
            Assert.Same(turn, gate.Current);
            Assert.All(waiting.Skip(i + 1), w => Assert.False(w.IsCompleted, "later calls wait for this one"));
            turn.Release();
        }

        Assert.Equal(Enumerable.Range(0, 5), admitted);
        Assert.Null(gate.Current);
        var again = await gate.EnterAsync().WaitAsync(ChatSilo.Timeout);
        Assert.Same(again, gate.Current);
        again.Release();
    }

    [Fact]
    public void Only_always_interleave_methods_bypass_the_turn_gate()
    {
        Assert.True(TurnGate.Interleaves(typeof(IConversationGrain).GetMethod(nameof(IConversationGrain.MarkDelivered))!));
        Assert.False(TurnGate.Interleaves(typeof(IConversationGrain).GetMethod(nameof(IConversationGrain.SendMessage))!));
    }

    private async Task<long?> StoredAsync(Guid conversationId, string clientMessageId)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT seq FROM messages WHERE conversation_id = $1 AND client_message_id = $2", connection);
        command.Parameters.AddWithValue(conversationId);
        command.Parameters.AddWithValue(clientMessageId);
        return await command.ExecuteScalarAsync() is long seq ? seq : null;
    }

    /// <summary>Holds the message notices (<see cref="IUserGrain.OnMessage"/>) of one user grain until released.</summary>
    private sealed class HoldOnMessageFilter : IIncomingGrainCallFilter
    {
        private volatile HeldCalls? _held;

        public HeldCalls Hold(GrainId userGrain) => _held = new HeldCalls(userGrain);

        public async Task Invoke(IIncomingGrainCallContext context)
        {
            if (_held is { } held && context.TargetId == held.Target && context.InterfaceMethod.Name == nameof(IUserGrain.OnMessage))
            {
                held.Enter();
                // Well within Orleans' response timeout: a forgotten release fails the test, not the silo.
                await held.Released.WaitAsync(TimeSpan.FromSeconds(20));
            }

            await context.Invoke();
        }
    }

    private sealed class HeldCalls(GrainId target)
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public GrainId Target { get; } = target;

        public Task Entered => _entered.Task;

        public Task Released => _released.Task;

        public void Enter() => _entered.TrySetResult();

        public void Release() => _released.TrySetResult();
    }
}
