using Chat.Frontend.Realtime;

namespace Chat.Frontend.Tests.Realtime;

public sealed class PassedMessagesTests
{
    private static readonly Guid Conversation = Guid.NewGuid();

    [Fact]
    public void A_repeated_message_is_dropped_and_each_conversation_counts_on_its_own()
    {
        var passed = new PassedMessages();

        Assert.True(passed.TryPass(Conversation, 1));
        Assert.True(passed.TryPass(Conversation, 2));
        Assert.False(passed.TryPass(Conversation, 1));
        Assert.False(passed.TryPass(Conversation, 2));
        Assert.True(passed.TryPass(Guid.NewGuid(), 1));
    }

    [Fact]
    public void A_message_seen_for_the_first_time_below_a_higher_one_still_passes_once()
    {
        // Re-sends after a crash reached the new activation as 8 then 7: 7 is late, not a repeat.
        var passed = new PassedMessages();
        Assert.True(passed.TryPass(Conversation, 6));
        Assert.True(passed.TryPass(Conversation, 8));

        Assert.True(passed.TryPass(Conversation, 7));
        Assert.False(passed.TryPass(Conversation, 7));
    }

    [Fact]
    public void Seqs_far_below_the_highest_count_as_repeats_and_memory_stays_bounded()
    {
        var passed = new PassedMessages();
        for (var seq = 1; seq <= 10 * PassedMessages.Window; seq++)
        {
            Assert.True(passed.TryPass(Conversation, seq));
        }

        Assert.False(passed.TryPass(Conversation, 10 * PassedMessages.Window - PassedMessages.Window));
        Assert.False(passed.TryPass(Conversation, 10 * PassedMessages.Window - 1));
        Assert.True(passed.TryPass(Conversation, 10 * PassedMessages.Window + 1));
    }
}
