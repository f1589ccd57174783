using Chat.Grains.Tests.Infrastructure;

namespace Chat.Grains.Tests.Domain;

/// <summary>Sessions (token hashes), typing indicators and presence notices: what the frontends build on.</summary>
public sealed class SessionTypingPresenceTests(ChatSiloFixture fixture) : IClassFixture<ChatSiloFixture>
{
    private ChatSilo Silo => fixture.Silo;

    private ISessionGrain Session(string token) => Silo.Grains.GetGrain<ISessionGrain>(SessionKey.For(token));

    [Fact]
    public void Every_user_event_serialises_with_its_type_discriminator_and_round_trips()
    {
        var message = new MessageDto(Guid.NewGuid(), Guid.NewGuid(), 1, null, null, MessageType.Text, "x", [], null, [], DateTimeOffset.UnixEpoch, null, null, "c");
        UserEvent[] events =
        [
            new MessageCreatedEvent(message.ConversationId, message), new MessageUpdatedEvent(message.ConversationId, message),
            new MessageDeletedEvent(message.ConversationId, message), new ConversationRemovedEvent(Guid.NewGuid(), "left"),
            new ReadUpdatedEvent(Guid.NewGuid(), Guid.NewGuid(), 3, null), new UnreadChangedEvent(Guid.NewGuid(), 1, 2, 1),
            new TypingEvent(Guid.NewGuid(), Guid.NewGuid(), "Ann", 5000), new PresenceEvent(Guid.NewGuid(), PresenceStatus.Away, null),
            new SessionRevokedEvent(new string('a', 64)),
        ];

        foreach (var evt in events)
        {
            var json = System.Text.Json.JsonSerializer.Serialize(evt, System.Text.Json.JsonSerializerOptions.Web);
            var back = System.Text.Json.JsonSerializer.Deserialize<UserEvent>(json, System.Text.Json.JsonSerializerOptions.Web);
            Assert.StartsWith($"{{\"type\":\"{evt.Type}\"", json, StringComparison.Ordinal);
            Assert.Equal(evt.GetType(), back!.GetType());
        }
    }

    [Fact]
    public async Task A_session_is_valid_until_it_is_revoked_and_revoking_announces_it_to_the_users_frontends()
    {
        var ann = await Silo.RegisterAsync("ann");
        var token = Guid.NewGuid().ToString("N");
        // Ephemeral events go to the frontends holding the user's connections, so ann has one.
        await Silo.User(ann.Id).Connect("frontend-a").WaitAsync(ChatSilo.Timeout);

        var created = await Session(token).Create(ann.Id, DateTimeOffset.UtcNow.AddHours(1)).WaitAsync(ChatSilo.Timeout);
        var valid = await Session(token).Validate().WaitAsync(ChatSilo.Timeout);
        await Session(token).Revoke().WaitAsync(ChatSilo.Timeout);
        await Session(token).Revoke().WaitAsync(ChatSilo.Timeout);

        Assert.Equal(ann.Id, created.UserId);
        Assert.Equal(ann.Id, valid?.UserId);
        Assert.Null(await Session(token).Validate().WaitAsync(ChatSilo.Timeout));
        var revoked = Assert.Single(Silo.Events.EphemeralEventsOf(ann.Id).OfType<SessionRevokedEvent>());
        Assert.Equal(SessionKey.For(token), revoked.SessionKey);
        await Silo.User(ann.Id).Disconnect("frontend-a").WaitAsync(ChatSilo.Timeout);
    }

    [Fact]
    public async Task Unknown_expired_and_malformed_session_keys_are_not_valid()
    {
        var ann = await Silo.RegisterAsync("ann");
        var expired = Guid.NewGuid().ToString("N");
        await Session(expired).Create(ann.Id, DateTimeOffset.UtcNow.AddSeconds(-1)).WaitAsync(ChatSilo.Timeout);

        Assert.Null(await Session(Guid.NewGuid().ToString("N")).Validate().WaitAsync(ChatSilo.Timeout));
        Assert.Null(await Session(expired).Validate().WaitAsync(ChatSilo.Timeout));
        Assert.Null(await Silo.Grains.GetGrain<ISessionGrain>("not-a-hash").Validate().WaitAsync(ChatSilo.Timeout));
        await Expect.Error(ChatErrorCodes.Conflict, () => Session(expired).Create(ann.Id, DateTimeOffset.UtcNow.AddHours(1)));
        await Expect.Error(ChatErrorCodes.ValidationError, () => Silo.Grains.GetGrain<ISessionGrain>("not-a-hash").Create(ann.Id, DateTimeOffset.UtcNow.AddHours(1)));
    }

    [Fact]
    public async Task A_session_survives_a_silo_restart_because_its_hash_is_in_postgres()
    {
        var ann = await Silo.RegisterAsync("ann");
        var token = Guid.NewGuid().ToString("N");
        await Session(token).Create(ann.Id, DateTimeOffset.UtcNow.AddHours(1)).WaitAsync(ChatSilo.Timeout);

        await using var second = await ChatSilo.StartAsync(fixture.ConnectionString);

        var valid = await second.Grains.GetGrain<ISessionGrain>(SessionKey.For(token)).Validate().WaitAsync(ChatSilo.Timeout);
        Assert.Equal(ann.Id, valid?.UserId);
    }

    [Fact]
    public async Task Typing_reaches_only_the_other_participants_and_renewals_are_throttled()
    {
        var ann = await Silo.RegisterAsync("ann");
        var ben = await Silo.RegisterAsync("ben");
        var cat = await Silo.RegisterAsync("cat");
        var eve = await Silo.RegisterAsync("eve");
        var org = await Silo.OrganizationAsync(ann, ben, cat, eve);
        var group = await Silo.GroupAsync(org, ann, "Typing", ben, cat);
        // Typing goes to the frontends holding a user's connections: everyone is connected, so only the rule filters.
        foreach (var user in new[] { ann, ben, cat, eve })
        {
            await Silo.User(user.Id).Connect("frontend-t").WaitAsync(ChatSilo.Timeout);
        }

        await Silo.Conversation(group.Id).Typing(ann.Id).WaitAsync(ChatSilo.Timeout);
        await Silo.Conversation(group.Id).Typing(ann.Id).WaitAsync(ChatSilo.Timeout);
        await Expect.Error(ChatErrorCodes.NotParticipant, () => Silo.Conversation(group.Id).Typing(eve.Id));

        foreach (var other in new[] { ben, cat })
        {
            var typing = await ChatSilo.EventuallyAsync(
                () => Task.FromResult(Silo.Events.EphemeralEventsOf(other.Id).OfType<TypingEvent>().ToList()), l => l.Count > 0, "a typing event");
            var single = Assert.Single(typing);
            Assert.Equal((group.Id, ann.Id, 5000), (single.ConversationId, single.UserId, single.ExpiresInMs));
        }

        Assert.Empty(Silo.Events.EphemeralEventsOf(ann.Id).OfType<TypingEvent>());
        Assert.Empty(Silo.Events.EphemeralEventsOf(eve.Id).OfType<TypingEvent>());
        foreach (var user in new[] { ann, ben, cat, eve })
        {
            await Silo.User(user.Id).Disconnect("frontend-t").WaitAsync(ChatSilo.Timeout);
        }
    }

    [Fact]
    public async Task Presence_changes_reach_connected_contacts_as_ephemeral_events_and_renewals_restore_a_frontends_connections()
    {
        var ann = await Silo.RegisterAsync("ann");
        var ben = await Silo.RegisterAsync("ben");
        var org = await Silo.OrganizationAsync(ann, ben);
        await Silo.DirectAsync(ann, ben, org);
        await Silo.InboxWhenAsync(ann, i => i.Conversations.Length == 1, "the DM in ann's inbox");
        await Silo.InboxWhenAsync(ben, i => i.Conversations.Length == 1, "the DM in ben's inbox");

        await Silo.User(ben.Id).Connect("frontend-b").WaitAsync(ChatSilo.Timeout);
        var online = await Silo.User(ann.Id).Connect("frontend-a").WaitAsync(ChatSilo.Timeout);
        await Silo.User(ann.Id).RenewPresence("frontend-a", 0).WaitAsync(ChatSilo.Timeout);
        var afterZero = await Silo.User(ann.Id).GetProfile().WaitAsync(ChatSilo.Timeout);
        await Silo.User(ann.Id).RenewPresence("frontend-a", 2).WaitAsync(ChatSilo.Timeout);
        var restored = await Silo.User(ann.Id).GetProfile().WaitAsync(ChatSilo.Timeout);

        Assert.Equal(PresenceStatus.Online, online);
        Assert.Equal(PresenceStatus.Offline, afterZero.Status);
        Assert.Equal(PresenceStatus.Online, restored.Status);
        var notices = await ChatSilo.EventuallyAsync(
            () => Task.FromResult(Silo.Events.EphemeralEventsOf(ben.Id).OfType<PresenceEvent>().Where(p => p.UserId == ann.Id).Select(p => p.Status).ToList()),
            l => l.Count >= 3, "three presence notices about ann");
        Assert.Equal([PresenceStatus.Online, PresenceStatus.Offline, PresenceStatus.Online], notices.Take(3));
        await Silo.User(ben.Id).Disconnect("frontend-b").WaitAsync(ChatSilo.Timeout);
    }
}
