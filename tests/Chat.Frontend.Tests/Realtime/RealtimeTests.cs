using System.Net;
using System.Text.Json;
using Chat.Frontend.Tests.Infrastructure;

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
}
