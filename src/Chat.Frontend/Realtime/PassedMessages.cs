namespace Chat.Frontend.Realtime;

/// <summary>
/// The messageCreated seqs of each conversation a feed has passed on. Conversations tell their
/// participants at least once (a notice is retried when a silo dies before answering; a re-sent
/// message is told again), so repeats arrive and are dropped here. A message seen for the first time
/// always passes, even below one already passed: after a crash the re-sends of two messages can
/// reach the conversation's new activation in either order, and dropping the lower one as a "repeat"
/// would lose it. Seqs more than <see cref="Window"/> below the highest passed count as repeats.
/// </summary>
internal sealed class PassedMessages
{
    /// <summary>How far below the highest passed seq a first delivery is still recognised.</summary>
    public const int Window = 512;

    private readonly Dictionary<Guid, Conversation> _conversations = [];

    /// <summary>True when <paramref name="seq"/> of the conversation was not passed on before (and now is).</summary>
    public bool TryPass(Guid conversationId, long seq)
    {
        lock (_conversations)
        {
            if (!_conversations.TryGetValue(conversationId, out var conversation))
            {
                _conversations[conversationId] = conversation = new Conversation();
            }

            return conversation.TryPass(seq);
        }
    }

    private sealed class Conversation
    {
        private readonly HashSet<long> _recent = [];
        private long _highest;

        public bool TryPass(long seq)
        {
            if (seq <= _highest - Window || !_recent.Add(seq))
            {
                return false;
            }

            if (seq > _highest)
            {
                _highest = seq;
                if (_recent.Count > 2 * Window)
                {
                    _recent.RemoveWhere(s => s <= _highest - Window);
                }
            }

            return true;
        }
    }
}
