using Chat.Grains.Diagnostics;
using Chat.Grains.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Grains.Organizations;

/// <summary>
/// An organization: members and roles in memory, the directory. Removing a member ends their
/// participations in the organization's conversations in PostgreSQL and then tells each of those
/// conversations (organization → conversation; conversations never call back), all before the
/// removal is acknowledged, so access ends at once.
/// </summary>
internal sealed class OrganizationGrain : Grain, IOrganizationGrain
{
    private readonly ChatDatabase _database;
    private readonly TimeProvider _time;
    private readonly ILogger<OrganizationGrain> _logger;
    private readonly Dictionary<Guid, OrganizationMember> _members = [];
    private OrganizationInfo? _info;

    public OrganizationGrain(ChatDatabase database, TimeProvider time, ILogger<OrganizationGrain> logger)
    {
        _database = database;
        _time = time;
        _logger = logger;
    }

    private Guid Id => this.GetPrimaryKey();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using (var command = connection.Command("SELECT name, created_at FROM organizations WHERE id = $1", null, Sql.Uuid(Id)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return;
            }

            _info = new OrganizationInfo(Id, reader.GetString(0), reader.GetTime(1));
        }

        await using (var command = connection.Command(
            "SELECT u.id, u.username, u.display_name, u.avatar_url, m.role, m.joined_at FROM organization_members m JOIN users u ON u.id = m.user_id " +
            "WHERE m.organization_id = $1", null, Sql.Uuid(Id)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var member = ReadMember(reader);
                _members[member.UserId] = member;
            }
        }
    }

    public async Task<OrganizationInfo> Create(Guid userId, string name)
    {
        if (_info is not null)
        {
            if (_members.TryGetValue(userId, out var me) && me.Role == Role.Owner && _info.Name == name?.Trim())
            {
                return _info;
            }

            throw ChatException.Conflict("An organization with this id already exists.");
        }

        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length is < 1 or > 255)
        {
            throw ChatException.Validation("name", "An organization name has 1 to 255 characters.");
        }

        var now = Clock.Now(_time);
        await using var connection = await _database.OpenAsync();
        var profile = await Users.UserGrain.ReadProfileAsync(connection, userId) ?? throw ChatException.NotFound("User");
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var inserted = await connection.ExecuteAsync(
                "INSERT INTO organizations (id, name, created_by, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                transaction, Sql.Uuid(Id), trimmed, Sql.Uuid(userId), Sql.Time(now));
            if (inserted == 0)
            {
                throw ChatException.Conflict("An organization with this id already exists.");
            }

            await connection.ExecuteAsync(
                "INSERT INTO organization_members (organization_id, user_id, role, joined_at) VALUES ($1, $2, 'owner', $3)",
                transaction, Sql.Uuid(Id), Sql.Uuid(userId), Sql.Time(now));
            await transaction.CommitAsync();
        }

        _info = new OrganizationInfo(Id, trimmed, now);
        _members[userId] = new OrganizationMember(userId, profile.Username, profile.DisplayName, profile.AvatarUrl, Role.Owner, now);
        ChatLog.OrganizationCreated(_logger, Id, userId);
        return _info;
    }

    public Task<OrganizationInfo> GetInfo(Guid userId)
    {
        RequireMember(userId);
        return Task.FromResult(_info!);
    }

    public Task<OrganizationDirectory> GetMembers(Guid userId, string? query = null)
    {
        RequireMember(userId);
        var filter = query?.Trim();
        var members = _members.Values
            .Where(m => string.IsNullOrEmpty(filter)
                || m.Username.Contains(filter, StringComparison.OrdinalIgnoreCase)
                || m.DisplayName.Contains(filter, StringComparison.OrdinalIgnoreCase))
            .OrderBy(m => m.DisplayName, StringComparer.OrdinalIgnoreCase).ThenBy(m => m.UserId);
        return Task.FromResult(new OrganizationDirectory(Id, [.. members]));
    }

    public async Task<OrganizationMember> AddMember(Guid userId, string username, Role role = Role.Member)
    {
        var me = RequireMember(userId);
        if (me.Role < Role.Admin)
        {
            throw ChatException.Forbidden("Only owners and admins add members.");
        }

        if (!Enum.IsDefined(role))
        {
            throw ChatException.Validation("role", "Role must be owner, admin or member.");
        }

        if (role > Role.Member && me.Role != Role.Owner)
        {
            throw ChatException.Forbidden("Only owners add owners or admins.");
        }

        if (string.IsNullOrWhiteSpace(username) || username.Length > 50)
        {
            throw ChatException.Validation("username", "Name the user to add by username.");
        }

        var now = Clock.Now(_time);
        await using var connection = await _database.OpenAsync();
        OrganizationMember member;
        await using (var command = connection.Command(
            "SELECT id, username, display_name, avatar_url FROM users WHERE lower(username) = lower($1)", null, username.Trim()))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            if (!await reader.ReadAsync())
            {
                throw ChatException.NotFound("User");
            }

            member = new OrganizationMember(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3), role, now);
        }

        if (_members.ContainsKey(member.UserId))
        {
            throw ChatException.Conflict("The user is already a member.");
        }

        var inserted = await connection.ExecuteAsync(
            "INSERT INTO organization_members (organization_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            null, Sql.Uuid(Id), Sql.Uuid(member.UserId), role.ToText(), Sql.Time(now));
        if (inserted == 0)
        {
            // Added meanwhile by another activation: ours is stale.
            throw new InconsistentStateException($"Organization {Id} changed in another activation.");
        }

        _members[member.UserId] = member;
        return member;
    }

    public async Task RemoveMember(Guid userId, Guid targetUserId)
    {
        var me = RequireMember(userId);
        if (!_members.TryGetValue(targetUserId, out var target))
        {
            throw ChatException.NotFound("Member");
        }

        if (targetUserId != userId && (me.Role < Role.Admin || (me.Role == Role.Admin && target.Role >= Role.Admin)))
        {
            throw ChatException.Forbidden("Only owners remove admins; owners and admins remove members.");
        }

        if (target.Role == Role.Owner && _members.Values.Count(m => m.Role == Role.Owner) == 1)
        {
            throw ChatException.Conflict("The last owner cannot be removed; make another member owner first.");
        }

        var now = Clock.Now(_time);
        var conversations = new List<Guid>();
        await using (var connection = await _database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync("DELETE FROM organization_members WHERE organization_id = $1 AND user_id = $2",
                transaction, Sql.Uuid(Id), Sql.Uuid(targetUserId));
            await using (var command = connection.Command(
                "UPDATE conversation_participants p SET left_at = $3 FROM conversations c " +
                "WHERE c.id = p.conversation_id AND c.organization_id = $1 AND p.user_id = $2 AND p.left_at IS NULL RETURNING p.conversation_id",
                transaction, Sql.Uuid(Id), Sql.Uuid(targetUserId), Sql.Time(now)))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    conversations.Add(reader.GetGuid(0));
                }
            }

            await transaction.CommitAsync();
        }

        _members.Remove(targetUserId);

        // Each conversation drops the participant from memory before we acknowledge.
        await Task.WhenAll(conversations.Select(id => GrainFactory.GetGrain<IConversationGrain>(id).OnOrganizationMemberRemoved(targetUserId)));
        ChatLog.OrganizationMemberRemoved(_logger, Id, targetUserId, userId, conversations.Count);
    }

    public Task<Role?> GetRole(Guid userId) => Task.FromResult(_members.TryGetValue(userId, out var member) ? member.Role : (Role?)null);

    private OrganizationMember RequireMember(Guid userId)
    {
        if (_info is null)
        {
            throw ChatException.NotFound("Organization");
        }

        return _members.TryGetValue(userId, out var member) ? member : throw ChatException.Forbidden("You are not a member of this organization.");
    }

    private static OrganizationMember ReadMember(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3),
        EnumText.ParseRole(reader.GetString(4)) ?? Role.Member, reader.GetTime(5));
}
