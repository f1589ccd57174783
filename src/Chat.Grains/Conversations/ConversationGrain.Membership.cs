using System.Collections.Immutable;
using Chat.Grains.Diagnostics;
using Chat.Grains.Storage;
using Npgsql;

namespace Chat.Grains.Conversations;

/// <summary>Creation, participants, roles, rename and deletion.</summary>
internal sealed partial class ConversationGrain
{
    public async Task<ConversationDetails> CreateGroup(Guid userId, CreateGroupRequest group)
    {
        if (_state is not null)
        {
            // A retried create of the same group answers like the first one did.
            if (_state.Type == ConversationType.Group && _state.CreatedBy == userId && _state.DeletedAt is null
                && _state.Participants.TryGetValue(userId, out var creator) && creator.IsActive)
            {
                return DetailsFor(creator);
            }

            throw ChatException.Conflict("A conversation with this id already exists.");
        }

        var name = ValidName(group.Name);
        var description = ValidDescription(group.Description);
        var others = (group.ParticipantIds.IsDefault ? [] : group.ParticipantIds).Where(id => id != userId).Distinct().ToList();
        if (others.Contains(Guid.Empty))
        {
            throw ChatException.Validation("participantIds", "Participant ids must not be empty.");
        }

        if (others.Count + 1 < _limits.GroupMinParticipants || others.Count + 1 > _limits.GroupMaxParticipants)
        {
            throw ChatException.Validation("participantIds",
                $"A group has {_limits.GroupMinParticipants} to {_limits.GroupMaxParticipants} participants including you.");
        }

        await using var connection = await _database.OpenAsync();
        var everyone = others.Prepend(userId).ToList();
        var members = await OrganizationMembersAsync(connection, group.OrganizationId, everyone);
        if (!members.Contains(userId))
        {
            throw ChatException.Forbidden("You are not a member of this organization.");
        }

        if (everyone.Any(id => !members.Contains(id)))
        {
            throw ChatException.Forbidden("Every participant must be a member of the conversation's organization.");
        }

        var profiles = await ProfilesAsync(connection, everyone);
        var now = Clock.Now(_time);
        var state = new ConversationState
        {
            Id = Id,
            Type = ConversationType.Group,
            OrganizationId = group.OrganizationId,
            Name = name,
            Description = description,
            CreatedBy = userId,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
        foreach (var id in everyone)
        {
            state.Participants[id] = NewParticipant(id, profiles, id == userId ? Role.Owner : Role.Member, now, 1);
        }

        _state = state;
        var created = NewSystemMessage("created", $"{state.Participants[userId].DisplayName} created the group \"{name}\"", now);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await InsertConversationAsync(connection, transaction, state);
            await InsertParticipantsAsync(connection, transaction, state.Participants.Values);
            await InsertMessageAsync(connection, transaction, created);
            await transaction.CommitAsync();
        }
        catch
        {
            _state = null;
            throw;
        }

        ApplySystemMessage(created);
        await NotifyConversationToAllAsync(added: everyone.ToHashSet());
        ChatLog.ConversationCreated(_logger, Id, "group", everyone.Count);
        return DetailsFor(state.Participants[userId]);
    }

    public async Task<OpenDirectResult> CreateDirect(Guid userId, Guid organizationId, Guid otherUserId)
    {
        if (userId == otherUserId)
        {
            throw ChatException.Validation("userId", "A direct conversation needs another user.");
        }

        await using var connection = await _database.OpenAsync();
        if (_state is not null)
        {
            return new OpenDirectResult(await ReopenDirectAsync(connection, userId, organizationId, otherUserId), Created: false);
        }

        var pair = new[] { userId, otherUserId };
        var members = await OrganizationMembersAsync(connection, organizationId, pair);
        if (!members.Contains(userId))
        {
            throw ChatException.Forbidden("You are not a member of this organization.");
        }

        if (!members.Contains(otherUserId))
        {
            throw ChatException.Forbidden("You can only start conversations with members of your organization.");
        }

        var profiles = await ProfilesAsync(connection, pair);
        var now = Clock.Now(_time);
        var state = new ConversationState
        {
            Id = Id,
            Type = ConversationType.Direct,
            OrganizationId = organizationId,
            CreatedBy = userId,
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
        foreach (var id in pair)
        {
            state.Participants[id] = NewParticipant(id, profiles, Role.Member, now, 0);
        }

        var (a, b) = userId.CompareTo(otherUserId) < 0 ? (userId, otherUserId) : (otherUserId, userId);
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await InsertConversationAsync(connection, transaction, state);
            await InsertParticipantsAsync(connection, transaction, state.Participants.Values);
            var indexed = await connection.ExecuteAsync(
                "INSERT INTO direct_conversations (organization_id, user_a, user_b, conversation_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                transaction, Sql.Uuid(organizationId), Sql.Uuid(a), Sql.Uuid(b), Sql.Uuid(Id));
            if (indexed == 0)
            {
                await transaction.RollbackAsync();
                var existing = await connection.ScalarAsync<Guid>(
                    "SELECT conversation_id FROM direct_conversations WHERE organization_id = $1 AND user_a = $2 AND user_b = $3", null,
                    Sql.Uuid(organizationId), Sql.Uuid(a), Sql.Uuid(b));
                throw new ChatException(ChatErrorCodes.DuplicateConversation, "These users already have a direct conversation.", existing.ToString("D"));
            }

            await transaction.CommitAsync();
        }

        _state = state;
        await NotifyConversationToAllAsync(added: pair.ToHashSet());
        ChatLog.ConversationCreated(_logger, Id, "direct", 2);
        return new OpenDirectResult(DetailsFor(state.Participants[userId]), Created: true);
    }

    /// <summary>An existing DM: re-admits a participant who left (e.g. removed from and re-added to the organization).</summary>
    private async Task<ConversationDetails> ReopenDirectAsync(NpgsqlConnection connection, Guid userId, Guid organizationId, Guid otherUserId)
    {
        var state = RequireExisting();
        if (state.Type != ConversationType.Direct || state.OrganizationId != organizationId
            || !state.Participants.ContainsKey(userId) || !state.Participants.ContainsKey(otherUserId))
        {
            throw ChatException.Conflict("This conversation is not the direct conversation of these users.");
        }

        var inactive = state.Participants.Values.Where(p => !p.IsActive).ToList();
        if (inactive.Count == 0)
        {
            return DetailsFor(state.Participants[userId]);
        }

        var members = await OrganizationMembersAsync(connection, organizationId, [userId, otherUserId]);
        if (!members.Contains(userId) || !members.Contains(otherUserId))
        {
            throw ChatException.Forbidden("You can only start conversations with members of your organization.");
        }

        var now = Clock.Now(_time);
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync(
                "UPDATE conversation_participants SET left_at = NULL, joined_at = $3, last_read_seq = GREATEST(last_read_seq, $4), last_read_at = $3 " +
                "WHERE conversation_id = $1 AND user_id = ANY($2)",
                transaction, Sql.Uuid(Id), inactive.Select(p => p.UserId).ToArray(), Sql.Time(now), state.LastSeq);
            await WriteVersionAsync(connection, transaction, now);
            await transaction.CommitAsync();
        }

        ApplyMetadata(now, state.Name, state.Description, state.DeletedAt);
        foreach (var participant in inactive)
        {
            participant.LeftAt = null;
            participant.JoinedAt = now;
            participant.LastReadSeq = Math.Max(participant.LastReadSeq, state.LastSeq);
            participant.LastReadAt = now;
            participant.Unread = 0;
        }

        await NotifyConversationToAllAsync(added: inactive.Select(p => p.UserId).ToHashSet());
        return DetailsFor(state.Participants[userId]);
    }

    public Task<ConversationDetails> GetDetails(Guid userId) => Task.FromResult(DetailsFor(RequireParticipant(userId)));

    public async Task<ConversationDetails> Update(Guid userId, UpdateConversationRequest change)
    {
        var me = RequireManager(userId);
        var state = _state!;
        var name = change.Name is null ? state.Name : ValidName(change.Name);
        var description = change.Description is null ? state.Description : ValidDescription(change.Description);
        if (name == state.Name && description == state.Description)
        {
            return DetailsFor(me);
        }

        var now = Clock.Now(_time);
        var renamed = name != state.Name ? NewSystemMessage("renamed", $"{me.DisplayName} renamed the group to \"{name}\"", now) : null;
        await using (var connection = await _database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await WriteMetadataAsync(connection, transaction, now, name, description, null);
            if (renamed is not null)
            {
                await InsertMessageAsync(connection, transaction, renamed);
            }

            await transaction.CommitAsync();
        }

        ApplyMetadata(now, name, description, null);
        if (renamed is not null)
        {
            ApplySystemMessage(renamed);
            await NotifyMessageAsync(UserEventTypes.MessageCreated, renamed);
        }

        await NotifyConversationToAllAsync();
        return DetailsFor(me);
    }

    public async Task Delete(Guid userId)
    {
        var me = RequireParticipant(userId);
        if (_state!.Type != ConversationType.Group || me.Role != Role.Owner)
        {
            throw ChatException.Forbidden("Only the owner can delete the conversation.");
        }

        var now = Clock.Now(_time);
        await using (var connection = await _database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await WriteMetadataAsync(connection, transaction, now, _state.Name, _state.Description, now);
            await transaction.CommitAsync();
        }

        ApplyMetadata(now, _state.Name, _state.Description, now);
        foreach (var participant in _state.Active)
        {
            await NotifyRemovedAsync(participant.UserId, "deleted");
        }

        ChatLog.ConversationDeleted(_logger, Id, userId);
    }

    public async Task<ConversationDetails> AddParticipants(Guid userId, ImmutableArray<Guid> userIds)
    {
        var me = RequireManager(userId);
        var state = _state!;
        var requested = (userIds.IsDefault ? [] : userIds).Distinct().ToList();
        if (requested.Count == 0 || requested.Contains(Guid.Empty))
        {
            throw ChatException.Validation("userIds", "Name at least one user to add.");
        }

        var joining = requested.Where(id => !(state.Participants.TryGetValue(id, out var p) && p.IsActive)).ToList();
        if (joining.Count == 0)
        {
            return DetailsFor(me);
        }

        var activeCount = state.Active.Count();
        if (activeCount + joining.Count > _limits.GroupMaxParticipants)
        {
            throw ChatException.Validation("userIds", $"A group has at most {_limits.GroupMaxParticipants} participants.");
        }

        await using var connection = await _database.OpenAsync();
        var members = await OrganizationMembersAsync(connection, state.OrganizationId, joining);
        if (joining.Any(id => !members.Contains(id)))
        {
            throw ChatException.Forbidden("Every participant must be a member of the conversation's organization.");
        }

        var profiles = await ProfilesAsync(connection, joining);
        var now = Clock.Now(_time);
        var names = string.Join(", ", joining.Select(id => profiles[id].DisplayName));
        var joined = NewSystemMessage("joined", $"{me.DisplayName} added {names}", now);
        var newcomers = joining.Select(id => NewParticipant(id, profiles, Role.Member, now, joined.Seq)).ToList();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await InsertParticipantsAsync(connection, transaction, newcomers);
            await WriteVersionAsync(connection, transaction, now);
            await InsertMessageAsync(connection, transaction, joined);
            await transaction.CommitAsync();
        }

        ApplyMetadata(now, state.Name, state.Description, null);
        foreach (var newcomer in newcomers)
        {
            if (state.Participants.TryGetValue(newcomer.UserId, out var former))
            {
                // Re-joining: the earlier read position stays if it was further.
                newcomer.LastReadSeq = Math.Max(former.LastReadSeq, newcomer.LastReadSeq);
            }

            state.Participants[newcomer.UserId] = newcomer;
        }

        ApplySystemMessage(joined);
        var added = joining.ToHashSet();
        await NotifyMessageAsync(UserEventTypes.MessageCreated, joined, except: added);
        await NotifyConversationToAllAsync(added);
        return DetailsFor(me);
    }

    public async Task RemoveParticipant(Guid userId, Guid targetUserId)
    {
        if (targetUserId == userId)
        {
            var me = RequireParticipant(userId);
            if (_state!.Type != ConversationType.Group)
            {
                throw ChatException.Forbidden("You cannot leave a direct conversation.");
            }

            await EndParticipationAsync(me, "left", $"{me.DisplayName} left");
            return;
        }

        var actor = RequireManager(userId);
        if (!_state!.Participants.TryGetValue(targetUserId, out var target) || !target.IsActive)
        {
            throw ChatException.NotFound("Participant");
        }

        if (target.Role >= actor.Role && actor.Role != Role.Owner)
        {
            throw ChatException.Forbidden("Admins can only remove members.");
        }

        await EndParticipationAsync(target, "removed", $"{actor.DisplayName} removed {target.DisplayName}");
    }

    public async Task OnOrganizationMemberRemoved(Guid userId)
    {
        if (_state is { DeletedAt: null } state && state.Participants.TryGetValue(userId, out var participant) && participant.IsActive)
        {
            await EndParticipationAsync(participant, "removed", $"{participant.DisplayName} was removed from the organization");
        }
    }

    /// <summary>Ends a participation; when the owner goes, the longest-standing admin (else member) becomes owner.</summary>
    private async Task EndParticipationAsync(Participant leaving, string reason, string text)
    {
        var state = _state!;
        var now = Clock.Now(_time);
        var successor = leaving.Role == Role.Owner
            ? state.Active.Where(p => p.UserId != leaving.UserId)
                .OrderByDescending(p => p.Role == Role.Admin).ThenBy(p => p.JoinedAt).ThenBy(p => p.UserId).FirstOrDefault()
            : null;
        var message = state.Type == ConversationType.Group ? NewSystemMessage(reason, text, now) : null;
        await using (var connection = await _database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync(
                "UPDATE conversation_participants SET left_at = coalesce(left_at, $3), role = CASE WHEN role = 'owner' THEN 'member' ELSE role END " +
                "WHERE conversation_id = $1 AND user_id = $2",
                transaction, Sql.Uuid(Id), Sql.Uuid(leaving.UserId), Sql.Time(now));
            if (successor is not null)
            {
                await connection.ExecuteAsync("UPDATE conversation_participants SET role = 'owner' WHERE conversation_id = $1 AND user_id = $2",
                    transaction, Sql.Uuid(Id), Sql.Uuid(successor.UserId));
            }

            await WriteVersionAsync(connection, transaction, now);
            if (message is not null)
            {
                await InsertMessageAsync(connection, transaction, message);
            }

            await transaction.CommitAsync();
        }

        ApplyMetadata(now, state.Name, state.Description, null);
        leaving.LeftAt = now;
        if (leaving.Role == Role.Owner)
        {
            leaving.Role = Role.Member;
        }

        if (successor is not null)
        {
            successor.Role = Role.Owner;
        }

        await NotifyRemovedAsync(leaving.UserId, reason);
        if (message is not null)
        {
            ApplySystemMessage(message);
            await NotifyMessageAsync(UserEventTypes.MessageCreated, message);
        }

        await NotifyConversationToAllAsync();
    }

    public async Task<ConversationDetails> SetRole(Guid userId, Guid targetUserId, Role role)
    {
        var me = RequireParticipant(userId);
        var state = _state!;
        if (state.Type != ConversationType.Group || me.Role != Role.Owner)
        {
            throw ChatException.Forbidden("Only the owner can change roles.");
        }

        if (!Enum.IsDefined(role))
        {
            throw ChatException.Validation("role", "Role must be owner, admin or member.");
        }

        if (targetUserId == userId)
        {
            throw ChatException.Validation("userId", "Transfer ownership by making another participant the owner.");
        }

        if (!state.Participants.TryGetValue(targetUserId, out var target) || !target.IsActive)
        {
            throw ChatException.NotFound("Participant");
        }

        if (target.Role == role)
        {
            return DetailsFor(me);
        }

        var now = Clock.Now(_time);
        await using (var connection = await _database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync("UPDATE conversation_participants SET role = $3 WHERE conversation_id = $1 AND user_id = $2",
                transaction, Sql.Uuid(Id), Sql.Uuid(targetUserId), role.ToText());
            if (role == Role.Owner)
            {
                await connection.ExecuteAsync("UPDATE conversation_participants SET role = 'admin' WHERE conversation_id = $1 AND user_id = $2",
                    transaction, Sql.Uuid(Id), Sql.Uuid(userId));
            }

            await WriteVersionAsync(connection, transaction, now);
            await transaction.CommitAsync();
        }

        ApplyMetadata(now, state.Name, state.Description, null);
        target.Role = role;
        if (role == Role.Owner)
        {
            me.Role = Role.Admin;
        }

        await NotifyConversationToAllAsync();
        return DetailsFor(me);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private string ValidName(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        return trimmed.Length >= 1 && trimmed.Length <= _limits.GroupNameMaxLength
            ? trimmed
            : throw ChatException.Validation("name", $"A group name has 1 to {_limits.GroupNameMaxLength} characters.");
    }

    private string? ValidDescription(string? description)
    {
        if (string.IsNullOrWhiteSpace(description))
        {
            return null;
        }

        return description.Length <= _limits.DescriptionMaxLength
            ? description
            : throw ChatException.Validation("description", $"A description has at most {_limits.DescriptionMaxLength} characters.");
    }

    private static Participant NewParticipant(Guid id, Dictionary<Guid, (string DisplayName, string? AvatarUrl)> profiles, Role role, DateTimeOffset now, long lastReadSeq) => new()
    {
        UserId = id,
        DisplayName = profiles.TryGetValue(id, out var profile) ? profile.DisplayName : id.ToString("N")[..8],
        AvatarUrl = profiles.TryGetValue(id, out var p) ? p.AvatarUrl : null,
        Role = role,
        JoinedAt = now,
        LastReadSeq = lastReadSeq,
        LastReadAt = lastReadSeq > 0 ? now : null,
    };

    private static Task InsertConversationAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ConversationState state) =>
        InsertOrConflictAsync(connection.ExecuteAsync(
            "INSERT INTO conversations (id, type, name, description, organization_id, created_by, created_at, updated_at, version) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1) ON CONFLICT (id) DO NOTHING",
            transaction, Sql.Uuid(state.Id), state.Type == ConversationType.Direct ? "direct" : "group", Sql.Text(state.Name), Sql.Text(state.Description),
            Sql.Uuid(state.OrganizationId), Sql.Uuid(state.CreatedBy), Sql.Time(state.CreatedAt)));

    private static async Task InsertOrConflictAsync(Task<int> insert)
    {
        if (await insert == 0)
        {
            throw ChatException.Conflict("A conversation with this id already exists.");
        }
    }

    /// <summary>Inserts participations, or re-opens ended ones (re-joining keeps the further read position).</summary>
    private Task InsertParticipantsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IEnumerable<Participant> participants)
    {
        var list = participants.ToList();
        return connection.ExecuteAsync(
            "INSERT INTO conversation_participants (conversation_id, user_id, role, joined_at, last_read_seq, last_read_at) " +
            "SELECT $1, u.user_id, u.role, u.joined_at, u.last_read_seq, u.last_read_at " +
            "FROM unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::bigint[], $6::timestamptz[]) AS u(user_id, role, joined_at, last_read_seq, last_read_at) " +
            "ON CONFLICT (conversation_id, user_id) DO UPDATE SET left_at = NULL, role = EXCLUDED.role, joined_at = EXCLUDED.joined_at, " +
            "last_read_seq = GREATEST(conversation_participants.last_read_seq, EXCLUDED.last_read_seq), last_read_at = EXCLUDED.last_read_at",
            transaction, Sql.Uuid(Id),
            list.Select(p => p.UserId).ToArray(),
            list.Select(p => p.Role.ToText()).ToArray(),
            list.Select(p => p.JoinedAt).ToArray(),
            list.Select(p => p.LastReadSeq).ToArray(),
            list.Select(p => (DateTimeOffset?)p.LastReadAt).ToArray());
    }
}
