using System.Net;
using System.Text.Json;
using Chat.Frontend.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Frontend.Tests.Realtime;

/// <summary>Events pushed by the hub, across frontends (SPEC section 6).</summary>
public sealed class RealtimeTests(ChatSystemFixture fixture) : IClassFixture<ChatSystemFixture>
{
    private FrontendHost One => fixture.System.Frontends[0];

    private FrontendHost Two => fixture.System.Frontends[1];

    private async Task<(TestUser Ann, TestUser Ben, Guid Dm)> PairAsync()
    {
        var ann = await One.RegisterAsync("ann");
        var ben = await One.RegisterAsync("ben");
        await One.OrganizationAsync(ann, ben);
        var dm = await One.DirectAsync(ann, ben);
        return (ann, ben, dm);
    }

    [Fact]
    public async Task A_user_connected_to_two_frontends_receives_every_event_on_both_in_order()
    {
        var (ann, ben, dm) = await PairAsync();
        await using var onOne = await HubClient.ConnectAsync(One, ben.Token);
        await using var onTwo = await HubClient.ConnectAsync(Two, ben.Token);
        await onOne.InvokeAsync("Resume", 0, 0);
        await onTwo.InvokeAsync("Resume", 0, 0);
        await using var annHub = await HubClient.ConnectAsync(Two, ann.Token);

        for (var i = 1; i <= 20; i++)
        {
            await annHub.InvokeAsync("SendMessage", dm.ToString(), new { clientMessageId = $"m{i}", content = $"hello {i}" });
        }

        foreach (var hub in new[] { onOne, onTwo })
        {
            var created = await hub.WaitForCountAsync(e => e.Name == "messageCreated", 20, "twenty messages");
            Assert.Equal(Enumerable.Range(1, 20).Select(i => $"hello {i}"), created.Select(e => e.Payload.GetProperty("message").GetProperty("content").GetString()));
            var seqs = hub.Positioned.Select(e => e.Seq).ToList();
            Assert.Equal(Enumerable.Range((int)seqs[0], seqs.Count).Select(s => (long)s), seqs);
            var first = created[0].Payload;
            Assert.Equal(dm, first.GetProperty("conversationId").GetGuid());
            Assert.True(first.GetProperty("epoch").GetInt64() > 0);
            Assert.Equal(ann.Id, first.GetProperty("message").GetProperty("senderId").GetGuid());
        }
    }

    [Fact]
    public async Task When_Orleans_drops_a_frontends_stream_subscription_it_subscribes_again_and_the_missed_events_arrive_in_order()
    {
        var (ann, ben, dm) = await PairAsync();
        await using var benHub = await HubClient.ConnectAsync(Two, ben.Token);
        await benHub.InvokeAsync("Resume", 0, 0);
        await using var annHub = await HubClient.ConnectAsync(One, ann.Token);
        await annHub.InvokeAsync("SendMessage", dm.ToString(), new { clientMessageId = "before", content = "before" });
        await benHub.WaitForAsync(e => e.Name == "messageCreated", "the first message");

        // What Orleans does after one failed delivery to a client: the subscription is gone from the pub-sub.
        var cluster = Two.Services.GetRequiredService<IClusterClient>();
        var frontendId = Two.Services.GetRequiredService<Chat.Frontend.Realtime.ConnectionRegistry>().FrontendId;
        var stream = cluster.GetStreamProvider(Chat.Grains.FrontendEventStream.ProviderName)
            .GetStream<Chat.Grains.UserEventBatch>(Orleans.Runtime.StreamId.Create(Chat.Grains.FrontendEventStream.Namespace, Chat.Grains.FrontendEventStream.KeyOf(frontendId, ben.Id)));
        var dropped = await stream.GetAllSubscriptionHandles().WaitAsync(ChatSystem.Timeout);
        Assert.NotEmpty(dropped);
        foreach (var handle in dropped)
        {
            await handle.UnsubscribeAsync().WaitAsync(ChatSystem.Timeout);
        }

        for (var i = 1; i <= 2; i++)
        {
            await annHub.InvokeAsync("SendMessage", dm.ToString(), new { clientMessageId = $"after-{i}", content = $"after {i}" });
        }

        // The frontend notices the loss and subscribes again (a new subscription, not the dropped one).
        await Eventually.TrueAsync(async () =>
        {
            var now = await stream.GetAllSubscriptionHandles().WaitAsync(ChatSystem.Timeout);
            return now.Count > 0 && now.All(h => dropped.All(d => d.HandleId != h.HandleId));
        }, "the frontend to subscribe again");
        for (var i = 3; i <= 5; i++)
        {
            await annHub.InvokeAsync("SendMessage", dm.ToString(), new { clientMessageId = $"after-{i}", content = $"after {i}" });
        }

        var created = await benHub.WaitForCountAsync(e => e.Name == "messageCreated", 6, "the messages sent while the subscription was gone");
        Assert.Equal(["before", "after 1", "after 2", "after 3", "after 4", "after 5"],
            created.Select(e => e.Payload.GetProperty("message").GetProperty("content").GetString()));
        var seqs = benHub.Positioned.Select(e => e.Seq).ToList();
        Assert.Equal(seqs.Distinct().Order(), seqs);
    }

    [Fact]
    public async Task Typing_reaches_the_other_participants_only_without_a_position()
    {
        var (ann, ben, dm) = await PairAsync();
        var eve = await One.RegisterAsync("eve");
        await using var benHub = await HubClient.ConnectAsync(Two, ben.Token);
        await using var annHub = await HubClient.ConnectAsync(One, ann.Token);
        await using var eveHub = await HubClient.ConnectAsync(One, eve.Token);
        await benHub.InvokeAsync("Resume", 0, 0);
        await annHub.InvokeAsync("Resume", 0, 0);

        await annHub.InvokeAsync("Typing", dm.ToString());
        await eveHub.InvokeFailingAsync("NOT_PARTICIPANT", "Typing", dm.ToString());

        var typing = await benHub.WaitForAsync(e => e.Name == "typing", "ben to see ann typing");
        Assert.Equal(ann.Id, typing.Payload.GetProperty("userId").GetGuid());
        Assert.Equal(dm, typing.Payload.GetProperty("conversationId").GetGuid());
        Assert.Equal(5000, typing.Payload.GetProperty("expiresInMs").GetInt32());
        Assert.False(typing.Payload.TryGetProperty("seq", out _));
        await Task.Delay(500);
        Assert.DoesNotContain(annHub.Events, e => e.Name == "typing");
        Assert.DoesNotContain(eveHub.Events, e => e.Name == "typing");
    }

    private static long LastSeq(HubClient hub) => hub.Positioned.Count == 0 ? 0 : hub.Positioned[^1].Seq;

    private static long LastEpoch(HubClient hub) => hub.Positioned.Count == 0 ? 0 : hub.Positioned[^1].Epoch;

    [Fact]
    public async Task Resume_after_a_dropped_connection_on_another_frontend_returns_every_missed_event_in_order_then_live_ones()
    {
        var (ann, ben, dm) = await PairAsync();
        var first = await HubClient.ConnectAsync(One, ben.Token);
        var start = await first.InvokeAsync("Resume", 0, 0);
        await using var annHub = await HubClient.ConnectAsync(Two, ann.Token);
        for (var i = 1; i <= 5; i++)
        {
            await annHub.InvokeAsync("SendMessage", dm.ToString(), new { clientMessageId = $"a{i}", content = $"before {i}" });
        }

        await first.WaitForCountAsync(e => e.Name == "messageCreated", 5, "five live messages");
        var (epoch, seq) = (LastEpoch(first), LastSeq(first));
        first.Kill();
        await first.DisposeAsync();
        for (var i = 1; i <= 7; i++)
        {
            await annHub.InvokeAsync("SendMessage", dm.ToString(), new { clientMessageId = $"b{i}", content = $"missed {i}" });
        }

        await using var second = await HubClient.ConnectAsync(Two, ben.Token);
        var resumed = await second.InvokeAsync("Resume", epoch, seq);
        for (var i = 1; i <= 3; i++)
        {
            await annHub.InvokeAsync("SendMessage", dm.ToString(), new { clientMessageId = $"c{i}", content = $"after {i}" });
        }

        await second.WaitForCountAsync(e => e.Name == "messageCreated", 3, "three live messages after the resume");
        var replayed = resumed.GetProperty("events").EnumerateArray().ToList();
        var all = replayed.Select(e => (e.GetProperty("seq").GetInt64(), e.GetProperty("type").GetString()!, e)).Concat(second.Positioned.Select(e => (e.Seq, e.Name, e.Payload))).ToList();
        Assert.Equal(Enumerable.Range((int)seq + 1, all.Count).Select(s => (long)s), all.Select(e => e.Item1)); // gapless, no duplicates, in order
        var contents = all.Where(e => e.Item2 == "messageCreated").Select(e => e.Item3.GetProperty("message").GetProperty("content").GetString()).ToList();
        Assert.Equal([.. Enumerable.Range(1, 7).Select(i => $"missed {i}"), .. Enumerable.Range(1, 3).Select(i => $"after {i}")], contents);
        Assert.True(start.GetProperty("resync").GetBoolean());
        Assert.All(replayed, e => Assert.Equal(epoch, e.GetProperty("epoch").GetInt64()));
    }

    [Fact]
    public async Task Resume_from_a_position_of_another_epoch_answers_resync()
    {
        var (_, ben, _) = await PairAsync();
        await using var hub = await HubClient.ConnectAsync(One, ben.Token);

        var start = await hub.InvokeAsync("Resume", 0, 0);
        var answer = await hub.InvokeAsync("Resume", start.GetProperty("epoch").GetInt64() + 1, 5);

        Assert.True(answer.GetProperty("resync").GetBoolean());
        Assert.False(answer.TryGetProperty("events", out _));
        Assert.Equal(start.GetProperty("epoch").GetInt64(), answer.GetProperty("epoch").GetInt64());
    }

    [Fact]
    public async Task A_stopping_frontend_tells_its_clients_to_reconnect_and_they_resume_elsewhere_without_gaps()
    {
        var (ann, ben, dm) = await PairAsync();
        var extra = await fixture.System.StartFrontendAsync();
        var onExtra = await HubClient.ConnectAsync(extra, ben.Token);
        await onExtra.InvokeAsync("Resume", 0, 0);
        await One.SendAsync(dm, ann, "one");
        await onExtra.WaitForAsync(e => e.Name == "messageCreated", "the first message");

        await fixture.System.StopFrontendAsync(extra);
        await One.SendAsync(dm, ann, "two");
        await One.SendAsync(dm, ann, "three");

        await onExtra.Closed.WaitAsync(ChatSystem.Timeout);
        Assert.Contains(onExtra.Events, e => e.Name == "reconnect");
        await using var again = await HubClient.ConnectAsync(Two, ben.Token);
        var resumed = await again.InvokeAsync("Resume", LastEpoch(onExtra), LastSeq(onExtra));
        var contents = resumed.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "messageCreated")
            .Select(e => e.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(["two", "three"], contents);
        await onExtra.DisposeAsync();
    }

    [Fact]
    public async Task Presence_is_online_while_any_frontend_holds_a_connection_and_contacts_see_the_changes()
    {
        var (ann, ben, _) = await PairAsync();
        await using var benHub = await HubClient.ConnectAsync(One, ben.Token);
        await benHub.InvokeAsync("Resume", 0, 0);
        using var benApi = One.Client(ben);
        async Task<string?> AnnStatus() =>
            (await benApi.GetAsync("/api/conversations")).Json.GetProperty("conversations")[0].GetProperty("participants").EnumerateArray()
                .First(p => p.GetProperty("userId").GetGuid() == ann.Id).GetProperty("presence").GetString();

        var annOne = await HubClient.ConnectAsync(One, ann.Token);
        var annTwo = await HubClient.ConnectAsync(Two, ann.Token);
        await Eventually.TrueAsync(async () => await AnnStatus() == "online", "ann online");
        var away = await annTwo.InvokeAsync("SetPresence", "away");
        await Eventually.TrueAsync(async () => await AnnStatus() == "away", "ann away");
        await annTwo.InvokeAsync("SetPresence", "online");
        await annOne.DisposeAsync();
        await Task.Delay(500);
        var stillOnline = await AnnStatus();
        await annTwo.DisposeAsync();
        await Eventually.TrueAsync(async () => await AnnStatus() == "offline", "ann offline");

        Assert.Equal("away", away.GetProperty("status").GetString());
        Assert.Equal("online", stillOnline);
        var notices = benHub.Events.Where(e => e.Name == "presence" && e.Payload.GetProperty("userId").GetGuid() == ann.Id).Select(e => e.Payload.GetProperty("status").GetString()).ToList();
        Assert.Equal("online", notices.First());
        Assert.Contains("away", notices);
        await benHub.WaitForAsync(e => e.Name == "presence" && e.Payload.GetProperty("status").GetString() == "offline", "the offline notice");
        var me = (await One.Client(ann).GetAsync("/api/me")).Json;
        Assert.Equal("offline", me.GetProperty("status").GetString());
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, me.GetProperty("lastSeenAt").ValueKind);
    }

    [Fact]
    public async Task A_message_pushed_to_a_recipients_connection_is_reported_delivered()
    {
        var (ann, ben, dm) = await PairAsync();
        await using var benHub = await HubClient.ConnectAsync(Two, ben.Token);
        await benHub.InvokeAsync("Resume", 0, 0);

        var message = await One.SendAsync(dm, ann, "did you get it?");
        await benHub.WaitForAsync(e => e.Name == "messageCreated", "the message");

        using var annApi = One.Client(ann);
        await Eventually.TrueAsync(async () =>
            (await annApi.GetAsync($"/api/conversations/{dm}/messages/{message.GetProperty("id").GetGuid()}/receipts")).Json.GetProperty("status").GetString() == "delivered",
            "the delivered receipt");
    }
}
