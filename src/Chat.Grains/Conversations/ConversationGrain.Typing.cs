using Chat.Grains.Diagnostics;

namespace Chat.Grains.Conversations;

/// <summary>Typing indicators: ephemeral, throttled, only for the other active participants.</summary>
internal sealed partial class ConversationGrain
{
    public Task Typing(Guid userId)
    {
        var me = RequireParticipant(userId);
        var now = _time.GetUtcNow();
        if (now - me.LastTypingAt < _limits.TypingThrottle)
        {
            return Task.CompletedTask;
        }

        me.LastTypingAt = now;
        var active = _state!.Active.ToList();
        if (active.Count > _limits.TypingFanOutMaxParticipants)
        {
            return Task.CompletedTask;
        }

        var evt = new TypingEvent(Id, userId, me.DisplayName, (int)_limits.TypingExpiry.TotalMilliseconds);
        foreach (var participant in active)
        {
            if (participant.UserId != userId)
            {
                _ = PublishEphemeralAsync(participant.UserId, evt);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Best effort: a lost typing indicator is harmless, a failing stream must not fail the caller.</summary>
    private async Task PublishEphemeralAsync(Guid userId, UserEvent evt)
    {
        try
        {
            await GrainFactory.GetGrain<IUserGrain>(userId).PushEphemeral(evt);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ChatLog.PublishFailed(_logger, userId, evt.Type, exception);
        }
    }
}
