using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.Grains.Accounts;
using Chat.Grains.Diagnostics;
using Chat.Grains.Options;
using Chat.Grains.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.Grains.Demo;

/// <summary>
/// Loads the demo tenant (SPEC section 10; the seed is embedded in this assembly, times are offsets
/// from the moment of loading). Idempotent: when the demo organization exists nothing changes, and
/// everything else is written in one transaction.
/// </summary>
public sealed class DemoDataLoader
{
    private readonly ChatDatabase _database;
    private readonly IPasswordHasher<AccountUser> _hasher;
    private readonly ChatDemoOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DemoDataLoader> _logger;

    internal DemoDataLoader(ChatDatabase database, IPasswordHasher<AccountUser> hasher, IOptions<ChatDemoOptions> options, TimeProvider time, ILogger<DemoDataLoader> logger)
    {
        _database = database;
        _hasher = hasher;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>The demo organization's id.</summary>
    public static Guid OrganizationId => Seed.Value.Organization.Id;

    /// <summary>Usernames of the demo users.</summary>
    public static IReadOnlyList<string> Usernames => [.. Seed.Value.Users.Select(u => u.Username)];

    private static readonly Lazy<SeedDocument> Seed = new(ReadSeed);

    /// <summary>Loads the demo data unless it is there already. True when this call loaded it.</summary>
    public async Task<bool> LoadAsync(CancellationToken cancellationToken = default)
    {
        var seed = Seed.Value;
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Serialises concurrent loaders (two silos started with Chat:Demo:Load at once).
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(7243190118322)", transaction);
        var exists = await connection.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM organizations WHERE id = $1)", transaction, Sql.Uuid(seed.Organization.Id));
        if (exists)
        {
            await transaction.RollbackAsync(cancellationToken);
            ChatLog.DemoAlreadyLoaded(_logger, seed.Organization.Name);
            return false;
        }

        var t0 = Clock.Now(_time);
        DateTimeOffset At(long offsetSeconds) => t0.AddSeconds(offsetSeconds);
        var earliest = At(Math.Min(seed.Conversations.Min(c => c.CreatedOffset), seed.Participants.Min(p => p.JoinedOffset)));

        await connection.ExecuteAsync("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)", transaction,
            Sql.Uuid(seed.Organization.Id), seed.Organization.Name, Sql.Time(earliest));
        foreach (var user in seed.Users)
        {
            await connection.ExecuteAsync(
                "INSERT INTO users (id, username, display_name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
                transaction, Sql.Uuid(user.Id), user.Username, user.DisplayName, _hasher.HashPassword(new AccountUser(user.Id), _options.Password), Sql.Time(earliest));
            await connection.ExecuteAsync(
                "INSERT INTO organization_members (organization_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                transaction, Sql.Uuid(seed.Organization.Id), Sql.Uuid(user.Id), user.OrgRole, Sql.Time(earliest));
        }

        foreach (var conversation in seed.Conversations)
        {
            await connection.ExecuteAsync(
                "INSERT INTO conversations (id, type, name, organization_id, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                transaction, Sql.Uuid(conversation.Id), conversation.IsGroup ? "group" : "direct", Sql.Text(conversation.Name), Sql.Uuid(seed.Organization.Id),
                Sql.Uuid(conversation.CreatedBy), Sql.Time(At(conversation.CreatedOffset)), Sql.Time(At(conversation.UpdatedOffset)));
            var messages = seed.Messages.Where(m => m.ConversationId == conversation.Id).OrderBy(m => m.CreatedOffset).ThenBy(m => m.Id).ToList();
            var participants = seed.Participants.Where(p => p.ConversationId == conversation.Id).ToList();
            foreach (var participant in participants)
            {
                // The read position is the last message sent at or before the seed's "last read" time.
                var lastRead = messages.Select((m, i) => (m, Seq: i + 1L)).Where(x => x.m.CreatedOffset <= participant.LastReadOffset).Select(x => x.Seq).DefaultIfEmpty(0).Max();
                var role = conversation.IsGroup && participant.UserId == conversation.CreatedBy ? "owner" : "member";
                await connection.ExecuteAsync(
                    "INSERT INTO conversation_participants (conversation_id, user_id, role, joined_at, last_read_seq, last_read_at, last_delivered_seq, is_starred, is_muted) " +
                    "VALUES ($1, $2, $3, $4, $5, $6, $5, $7, $8)",
                    transaction, Sql.Uuid(conversation.Id), Sql.Uuid(participant.UserId), role, Sql.Time(At(participant.JoinedOffset)), lastRead,
                    Sql.Time(At(participant.LastReadOffset)), participant.IsStarred, participant.IsMuted);
            }

            if (!conversation.IsGroup && participants.Count == 2)
            {
                var (a, b) = participants[0].UserId.CompareTo(participants[1].UserId) < 0
                    ? (participants[0].UserId, participants[1].UserId)
                    : (participants[1].UserId, participants[0].UserId);
                await connection.ExecuteAsync(
                    "INSERT INTO direct_conversations (organization_id, user_a, user_b, conversation_id) VALUES ($1, $2, $3, $4)",
                    transaction, Sql.Uuid(seed.Organization.Id), Sql.Uuid(a), Sql.Uuid(b), Sql.Uuid(conversation.Id));
            }

            for (var i = 0; i < messages.Count; i++)
            {
                await InsertMessageAsync(connection, transaction, messages[i], i + 1, At(messages[i].CreatedOffset));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        ChatLog.DemoLoaded(_logger, seed.Organization.Name, seed.Users.Count, seed.Conversations.Count, seed.Messages.Count);
        return true;
    }

    private static async Task InsertMessageAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, SeedMessage message, long seq, DateTimeOffset createdAt)
    {
        await connection.ExecuteAsync(
            "INSERT INTO messages (id, conversation_id, seq, sender_id, type, content, client_message_id, created_at) VALUES ($1, $2, $3, $4, 'text', $5, $6, $7)",
            transaction, Sql.Uuid(message.Id), Sql.Uuid(message.ConversationId), seq, Sql.Uuid(message.SenderId), message.Content,
            "demo-" + message.Id.ToString("N"), Sql.Time(createdAt));
        for (var i = 0; i < message.Reactions.Count; i++)
        {
            var reaction = message.Reactions[i];
            await connection.ExecuteAsync(
                "INSERT INTO message_reactions (message_id, user_id, emoji, created_at) VALUES ($1, $2, $3, $4)",
                transaction, Sql.Uuid(message.Id), Sql.Uuid(reaction.UserId), reaction.Emoji, Sql.Time(createdAt.AddSeconds(i + 1)));
        }

        for (var i = 0; i < message.Attachments.Count; i++)
        {
            var attachment = message.Attachments[i];
            var content = PlaceholderContent(attachment.Name);
            var id = StableId(message.Id, attachment.Name);
            await connection.ExecuteAsync(
                "INSERT INTO attachments (id, uploader_id, name, content_type, size, content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                transaction, Sql.Uuid(id), Sql.Uuid(message.SenderId), attachment.Name, Attachments.FileSniffer.Sniff(content, attachment.Name)!,
                (long)content.Length, content, Sql.Time(createdAt));
            await connection.ExecuteAsync("INSERT INTO message_attachments (message_id, attachment_id, position) VALUES ($1, $2, $3)",
                transaction, Sql.Uuid(message.Id), Sql.Uuid(id), i);
        }
    }

    /// <summary>The seed has attachment metadata only; each gets a tiny valid file of its type so downloads work.</summary>
    private static byte[] PlaceholderContent(string name) =>
        name.EndsWith(".pdf", StringComparison.OrdinalIgnoreCase)
            ? "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"u8.ToArray()
            : [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xD9];

    private static Guid StableId(Guid messageId, string name)
    {
        var hash = MD5.HashData(Encoding.UTF8.GetBytes($"{messageId:N}/{name}"));
        return new Guid(hash);
    }

    private static SeedDocument ReadSeed()
    {
        using var stream = typeof(DemoDataLoader).Assembly.GetManifestResourceStream("Chat.Grains.Demo.acme-seed.json")
            ?? throw new InvalidOperationException("The demo seed is not embedded in Chat.Grains.");
        return JsonSerializer.Deserialize<SeedDocument>(stream) ?? throw new InvalidOperationException("The demo seed is empty.");
    }

    private sealed record SeedDocument(
        [property: JsonPropertyName("organization")] SeedOrganization Organization,
        [property: JsonPropertyName("users")] List<SeedUser> Users,
        [property: JsonPropertyName("conversations")] List<SeedConversation> Conversations,
        [property: JsonPropertyName("participants")] List<SeedParticipant> Participants,
        [property: JsonPropertyName("messages")] List<SeedMessage> Messages);

    private sealed record SeedOrganization([property: JsonPropertyName("id")] Guid Id, [property: JsonPropertyName("name")] string Name);

    private sealed record SeedUser(
        [property: JsonPropertyName("id")] Guid Id,
        [property: JsonPropertyName("username")] string Username,
        [property: JsonPropertyName("display_name")] string DisplayName,
        [property: JsonPropertyName("org_role")] string OrgRole);

    private sealed record SeedConversation(
        [property: JsonPropertyName("id")] Guid Id,
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("is_group")] bool IsGroup,
        [property: JsonPropertyName("created_by")] Guid CreatedBy,
        [property: JsonPropertyName("created_offset_s")] long CreatedOffset,
        [property: JsonPropertyName("updated_offset_s")] long UpdatedOffset);

    private sealed record SeedParticipant(
        [property: JsonPropertyName("conversation_id")] Guid ConversationId,
        [property: JsonPropertyName("user_id")] Guid UserId,
        [property: JsonPropertyName("joined_offset_s")] long JoinedOffset,
        [property: JsonPropertyName("last_read_offset_s")] long LastReadOffset,
        [property: JsonPropertyName("is_starred")] bool IsStarred,
        [property: JsonPropertyName("is_muted")] bool IsMuted);

    private sealed record SeedMessage(
        [property: JsonPropertyName("id")] Guid Id,
        [property: JsonPropertyName("conversation_id")] Guid ConversationId,
        [property: JsonPropertyName("sender_id")] Guid SenderId,
        [property: JsonPropertyName("content")] string Content,
        [property: JsonPropertyName("attachments")] List<SeedAttachment> Attachments,
        [property: JsonPropertyName("reactions")] List<SeedReaction> Reactions,
        [property: JsonPropertyName("created_offset_s")] long CreatedOffset);

    private sealed record SeedAttachment([property: JsonPropertyName("name")] string Name);

    private sealed record SeedReaction([property: JsonPropertyName("userId")] Guid UserId, [property: JsonPropertyName("emoji")] string Emoji);
}

/// <summary>Loads the demo data at silo start when <c>Chat:Demo:Load</c> is true (after the migrations).</summary>
internal sealed class DemoStartupTask(DemoDataLoader loader, IOptions<ChatDemoOptions> options) : IStartupTask
{
    public Task Execute(CancellationToken cancellationToken) =>
        options.Value.Load ? loader.LoadAsync(cancellationToken) : Task.CompletedTask;
}
