using Chat.LoadTest.Verification;

namespace Chat.LoadTest.Tests;

public sealed class CompletenessCheckerTests
{
    private static readonly Guid Conversation = Guid.NewGuid();
    private static readonly Guid Alice = Guid.NewGuid();
    private static readonly Guid Bob = Guid.NewGuid();
    private static readonly Guid Carol = Guid.NewGuid();
    private static readonly Guid[] Participants = [Alice, Bob, Carol];

    [Fact]
    public void Every_recipient_getting_every_message_once_in_order_is_complete()
    {
        var checker = new CompletenessChecker();
        for (var seq = 1; seq <= 3; seq++)
        {
            checker.ExpectMessage(Conversation, seq, Participants, Alice);
            Assert.Equal(DeliveryOutcome.InOrder, checker.RecordDelivery(Bob, Conversation, seq));
            Assert.Equal(DeliveryOutcome.InOrder, checker.RecordDelivery(Carol, Conversation, seq));
        }

        var result = checker.Result();

        Assert.Equal(new CompletenessResult(6, 6, 0, 0, 0, 0), result);
        Assert.True(result.IsComplete);
    }

    [Fact]
    public void The_sender_is_not_expected_to_receive_its_own_message()
    {
        var checker = new CompletenessChecker();

        checker.ExpectMessage(Conversation, 1, Participants, Bob);

        Assert.Equal(2, checker.ExpectedDeliveries);
        Assert.Equal(2, checker.Result().Lost);
    }

    [Fact]
    public void A_missing_delivery_is_lost()
    {
        var checker = new CompletenessChecker();
        checker.ExpectMessage(Conversation, 1, Participants, Alice);
        checker.RecordDelivery(Bob, Conversation, 1);

        var result = checker.Result();

        Assert.Equal(1, result.Lost);
        Assert.False(result.IsComplete);
    }

    [Fact]
    public void A_second_delivery_of_a_message_is_a_duplicate_not_a_second_receipt()
    {
        var checker = new CompletenessChecker();
        checker.ExpectMessage(Conversation, 1, [Alice, Bob], Alice);

        checker.RecordDelivery(Bob, Conversation, 1);
        Assert.Equal(DeliveryOutcome.Duplicate, checker.RecordDelivery(Bob, Conversation, 1));

        Assert.Equal(new CompletenessResult(1, 1, 0, 1, 0, 0), checker.Result());
    }

    [Fact]
    public void A_lower_seq_after_a_higher_one_of_the_same_conversation_is_out_of_order()
    {
        var checker = new CompletenessChecker();
        var other = Guid.NewGuid();
        foreach (var seq in new long[] { 1, 2, 3 })
        {
            checker.ExpectMessage(Conversation, seq, [Alice, Bob], Alice);
        }

        checker.ExpectMessage(other, 1, [Alice, Bob], Alice);

        checker.RecordDelivery(Bob, Conversation, 1);
        checker.RecordDelivery(Bob, Conversation, 3);
        Assert.Equal(DeliveryOutcome.OutOfOrder, checker.RecordDelivery(Bob, Conversation, 2));
        // Another conversation has its own order.
        Assert.Equal(DeliveryOutcome.InOrder, checker.RecordDelivery(Bob, other, 1));

        Assert.Equal(new CompletenessResult(4, 4, 0, 0, 1, 0), checker.Result());
    }

    [Fact]
    public void A_delivery_may_arrive_before_the_acknowledgement()
    {
        var checker = new CompletenessChecker();

        checker.RecordDelivery(Bob, Conversation, 1);
        Assert.Equal(1, checker.Result().Unexpected);
        checker.ExpectMessage(Conversation, 1, [Alice, Bob], Alice);

        Assert.Equal(new CompletenessResult(1, 1, 0, 0, 0, 0), checker.Result());
    }

    [Fact]
    public void A_repeated_acknowledgement_of_the_same_message_is_expected_once()
    {
        var checker = new CompletenessChecker();

        checker.ExpectMessage(Conversation, 1, Participants, Alice);
        checker.ExpectMessage(Conversation, 1, Participants, Alice);

        Assert.Equal(2, checker.ExpectedDeliveries);
        Assert.Equal(2, checker.Result().Expected);
    }

    [Fact]
    public void A_message_fetched_while_catching_up_counts_as_received()
    {
        var checker = new CompletenessChecker();
        checker.ExpectMessage(Conversation, 1, [Alice, Bob], Alice);

        Assert.True(checker.RecordCatchUp(Bob, Conversation, 1));
        Assert.False(checker.RecordCatchUp(Bob, Conversation, 1));

        Assert.Equal(new CompletenessResult(1, 1, 0, 0, 0, 0), checker.Result());
    }

    [Fact]
    public void The_live_copy_of_a_message_already_fetched_while_catching_up_is_merged_once_and_a_second_is_a_duplicate()
    {
        var checker = new CompletenessChecker();
        checker.ExpectMessage(Conversation, 1, [Alice, Bob], Alice);
        checker.ExpectMessage(Conversation, 2, [Alice, Bob], Alice);
        checker.RecordCatchUp(Bob, Conversation, 1);
        checker.RecordCatchUp(Bob, Conversation, 2);

        Assert.Equal(DeliveryOutcome.MergedWithCatchUp, checker.RecordDelivery(Bob, Conversation, 1));
        Assert.Equal(DeliveryOutcome.MergedWithCatchUp, checker.RecordDelivery(Bob, Conversation, 2));
        Assert.Equal(DeliveryOutcome.Duplicate, checker.RecordDelivery(Bob, Conversation, 1));

        Assert.Equal(new CompletenessResult(2, 2, 0, 1, 0, 0), checker.Result());
        var anomaly = Assert.Single(checker.Anomalies);
        Assert.Equal(("duplicate", Bob, Conversation, 1L, 2L, true), (anomaly.Kind, anomaly.RecipientId, anomaly.ConversationId, anomaly.Seq, anomaly.HighestSeqBefore, anomaly.CaughtUpBefore));
    }

    [Fact]
    public void Only_the_first_anomalies_are_kept_with_their_details_but_all_are_counted()
    {
        var checker = new CompletenessChecker();
        checker.ExpectMessage(Conversation, 1, [Alice, Bob], Alice);
        checker.RecordDelivery(Bob, Conversation, 1);
        for (var i = 0; i < CompletenessChecker.AnomalySamples + 5; i++)
        {
            checker.RecordDelivery(Bob, Conversation, 1);
        }

        Assert.Equal(CompletenessChecker.AnomalySamples + 5, checker.Result().Duplicated);
        Assert.Equal(CompletenessChecker.AnomalySamples, checker.Anomalies.Count);
        Assert.All(checker.Anomalies, a => Assert.False(a.CaughtUpBefore));
    }

    [Fact]
    public void A_message_received_live_is_not_caught_up_again()
    {
        var checker = new CompletenessChecker();
        checker.ExpectMessage(Conversation, 1, [Alice, Bob], Alice);
        checker.RecordDelivery(Bob, Conversation, 1);

        Assert.False(checker.RecordCatchUp(Bob, Conversation, 1));
        Assert.Equal(DeliveryOutcome.Duplicate, checker.RecordDelivery(Bob, Conversation, 1));
    }

    [Fact]
    public void Concurrent_deliveries_from_many_threads_are_all_counted()
    {
        var checker = new CompletenessChecker();
        var recipients = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToArray();
        var sender = Guid.NewGuid();
        Guid[] everyone = [sender, .. recipients];
        for (var seq = 1; seq <= 200; seq++)
        {
            checker.ExpectMessage(Conversation, seq, everyone, sender);
        }

        Parallel.ForEach(recipients, recipient =>
        {
            for (var seq = 1; seq <= 200; seq++)
            {
                checker.RecordDelivery(recipient, Conversation, seq);
            }
        });

        Assert.Equal(new CompletenessResult(10_000, 10_000, 0, 0, 0, 0), checker.Result());
    }
}
