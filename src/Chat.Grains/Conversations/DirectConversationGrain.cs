using Chat.Grains.Storage;

namespace Chat.Grains.Conversations;

/// <summary>
/// The direct-conversation index of one organization and sorted user pair. Calls of both users go
/// to this one activation and run one at a time, so concurrent "open DM" calls create one
/// conversation; the unique key of <c>direct_conversations</c> covers a stale duplicate activation.
/// </summary>
internal sealed class DirectConversationGrain : Grain, IDirectConversationGrain
{
    private readonly ChatDatabase _database;
    private Guid _organizationId;
    private Guid _userA;
    private Guid _userB;
    private Guid? _conversationId;

    public DirectConversationGrain(ChatDatabase database) => _database = database;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!DirectConversationKey.TryParse(this.GetPrimaryKeyString(), out _organizationId, out _userA, out _userB))
        {
            return;
        }

        await using var connection = await _database.OpenAsync(cancellationToken);
        _conversationId = await LookupAsync(connection);
    }

    public async Task<OpenDirectResult> Open(Guid userId)
    {
        if (_organizationId == Guid.Empty || _userA == _userB || _userA.CompareTo(_userB) > 0)
        {
            throw ChatException.Validation("userId", "A direct conversation is between two different users.");
        }

        if (userId != _userA && userId != _userB)
        {
            throw ChatException.Forbidden("Only its two users open a direct conversation.");
        }

        var other = userId == _userA ? _userB : _userA;
        if (_conversationId is { } existing)
        {
            return await GrainFactory.GetGrain<IConversationGrain>(existing).CreateDirect(userId, _organizationId, other);
        }

        try
        {
            var created = await GrainFactory.GetGrain<IConversationGrain>(Guid.CreateVersion7()).CreateDirect(userId, _organizationId, other);
            _conversationId = created.Conversation.Id;
            return created;
        }
        catch (ChatException exception) when (exception.Code == ChatErrorCodes.DuplicateConversation && Guid.TryParse(exception.Details, out var found))
        {
            // Another activation of this index created it first: the pair's conversation is that one.
            _conversationId = found;
            return await GrainFactory.GetGrain<IConversationGrain>(found).CreateDirect(userId, _organizationId, other);
        }
    }

    private async Task<Guid?> LookupAsync(Npgsql.NpgsqlConnection connection)
    {
        var id = await connection.ScalarAsync<Guid>(
            "SELECT conversation_id FROM direct_conversations WHERE organization_id = $1 AND user_a = $2 AND user_b = $3", null,
            Sql.Uuid(_organizationId), Sql.Uuid(_userA), Sql.Uuid(_userB));
        return id == Guid.Empty ? null : id;
    }
}
