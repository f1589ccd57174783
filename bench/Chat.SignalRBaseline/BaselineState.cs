using System.Collections.Concurrent;
using System.Security.Cryptography;
using Chat.Client;

namespace Chat.SignalRBaseline;

/// <summary>Everything the baseline knows: users (by name, token and id) and conversations. Gone when the process stops.</summary>
internal sealed class BaselineState
{
    private readonly ConcurrentDictionary<string, BaselineUser> _byName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BaselineUser> _byToken = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, BaselineUser> _byId = new();
    private readonly ConcurrentDictionary<Guid, BaselineConversation> _conversations = new();
    private readonly ConcurrentDictionary<(Guid, Guid), BaselineConversation> _directs = new();

    /// <summary>The epoch of every user's event positions: this process's start (a restarted baseline knows nobody anyway).</summary>
    public long Epoch { get; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>A new user with its one token, or null when the name is taken.</summary>
    public BaselineUser? Register(string username, string password)
    {
        var user = new BaselineUser(Guid.NewGuid(), username, password, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));
        if (!_byName.TryAdd(username, user))
        {
            return null;
        }

        _byId[user.Id] = user;
        _byToken[user.Token] = user;
        return user;
    }

    /// <summary>The user, when the password matches (compared as plain text: nothing here is hashed).</summary>
    public BaselineUser? Login(string username, string password) =>
        _byName.TryGetValue(username, out var user) && user.Password == password ? user : null;

    public BaselineUser? ByToken(string token) => _byToken.GetValueOrDefault(token);

    public BaselineUser? ByName(string username) => _byName.GetValueOrDefault(username);

    public BaselineUser? ById(Guid id) => _byId.GetValueOrDefault(id);

    public BaselineConversation? Conversation(Guid id) => _conversations.GetValueOrDefault(id);

    /// <summary>The DM of two users: the existing one, or a new one (Created).</summary>
    public (BaselineConversation Conversation, bool Created) OpenDirect(BaselineUser caller, BaselineUser other, Guid organizationId)
    {
        var key = caller.Id.CompareTo(other.Id) < 0 ? (caller.Id, other.Id) : (other.Id, caller.Id);
        var created = new BaselineConversation(ConversationType.Direct, organizationId, null, [caller, other]);
        var conversation = _directs.GetOrAdd(key, created);
        _conversations.TryAdd(conversation.Id, conversation);
        return (conversation, ReferenceEquals(conversation, created));
    }

    public BaselineConversation CreateGroup(Guid organizationId, string name, BaselineUser[] members)
    {
        var conversation = new BaselineConversation(ConversationType.Group, organizationId, name, members);
        _conversations[conversation.Id] = conversation;
        return conversation;
    }
}

/// <summary>A user: credentials, and the counter of its event positions (guarded by <see cref="Gate"/>).</summary>
internal sealed class BaselineUser(Guid id, string username, string password, string token)
{
    public Guid Id { get; } = id;

    public string Username { get; } = username;

    public string Password { get; } = password;

    public string Token { get; } = token;

    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>The SignalR group of the user's connections.</summary>
    public string Group { get; } = id.ToString("N");

    public Lock Gate { get; } = new();

    /// <summary>Position of the user's latest event; under <see cref="Gate"/>.</summary>
    public long EventSeq { get; set; }

    public UserSummary Summary => new(Id, Username, null);

    public UserProfile Profile => new(Id, Username, Username, null, null, PresenceStatus.Online, null, CreatedAt, CreatedAt);
}

/// <summary>
/// A conversation: its members, the seq counter, the newest messages (for reactions) and read positions.
/// Everything mutable is guarded by <see cref="Gate"/>.
/// </summary>
internal sealed class BaselineConversation(ConversationType type, Guid organizationId, string? name, BaselineUser[] members)
{
    /// <summary>Messages kept for reactions (the chat system keeps at least as many in memory).</summary>
    private const int Kept = 100;

    private readonly ChatMessage?[] _recent = new ChatMessage?[Kept];
    private readonly Dictionary<Guid, long> _lastRead = [];

    public Guid Id { get; } = Guid.NewGuid();

    public BaselineUser[] Members { get; } = members;

    public Lock Gate { get; } = new();

    public long LastSeq { get; private set; }

    public bool Has(BaselineUser user) => Array.IndexOf(Members, user) >= 0;

    /// <summary>Stores a message created with the next seq.</summary>
    public ChatMessage Append(Func<long, ChatMessage> create)
    {
        var message = create(++LastSeq);
        _recent[message.Seq % Kept] = message;
        return message;
    }

    /// <summary>One of the newest messages, or null.</summary>
    public ChatMessage? Find(Guid messageId) => Array.Find(_recent, m => m?.Id == messageId);

    public void Replace(ChatMessage message) => _recent[message.Seq % Kept] = message;

    /// <summary>Up to <paramref name="limit"/> messages after a seq (default: the newest), among the newest kept (a client's catch-up).</summary>
    public MessagePage Page(long? after, int limit)
    {
        var from = Math.Max(Math.Max(after ?? LastSeq - limit, LastSeq - Kept), 0) + 1;
        var to = Math.Min(LastSeq, from + limit - 1);
        var messages = new List<ChatMessage>();
        for (var seq = from; seq <= to; seq++)
        {
            messages.Add(_recent[seq % Kept]!);
        }

        return new MessagePage(messages, to < LastSeq);
    }

    /// <summary>Moves the user's read position to <paramref name="seq"/> (null: the latest); null when it would not move forward.</summary>
    public long? MoveRead(Guid userId, long? seq)
    {
        var target = Math.Min(seq ?? LastSeq, LastSeq);
        if (target <= _lastRead.GetValueOrDefault(userId))
        {
            return null;
        }

        _lastRead[userId] = target;
        return target;
    }

    public ConversationDetails Details()
    {
        var now = DateTimeOffset.UtcNow;
        var participants = Members.Select((m, i) => new ParticipantInfo(m.Id, m.Username, null, i == 0 && type == ConversationType.Group ? Role.Owner : Role.Member, now)).ToArray();
        return new ConversationDetails(Id, type, organizationId, name, null, Members[0].Id, now, now, LastSeq, participants, null);
    }
}
