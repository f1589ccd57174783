using Chat.Grains.Options;
using Chat.Grains.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.Grains.Attachments;

/// <summary>
/// An uploaded file, stored in PostgreSQL. Nothing is cached: every download checks access in SQL
/// against the participations themselves, so removed participants lose access at once.
/// </summary>
internal sealed class AttachmentGrain : Grain, IAttachmentGrain
{
    private readonly ChatDatabase _database;
    private readonly ChatLimitsOptions _limits;
    private readonly TimeProvider _time;

    public AttachmentGrain(ChatDatabase database, IOptions<ChatLimitsOptions> limits, TimeProvider time)
    {
        _database = database;
        _limits = limits.Value;
        _time = time;
    }

    private Guid Id => this.GetPrimaryKey();

    public async Task<AttachmentInfo> Upload(Guid userId, AttachmentUpload upload)
    {
        var content = upload.Content;
        var name = Path.GetFileName((upload.FileName ?? "").Replace('\\', '/')).Trim();
        if (name.Length is 0 or > 255 || name.Any(char.IsControl))
        {
            throw ChatException.Validation("file", "A file name has 1 to 255 visible characters.");
        }

        if (content.Length == 0)
        {
            throw ChatException.Validation("file", "The file is empty.");
        }

        if (content.Length > _limits.AttachmentMaxBytes)
        {
            throw new ChatException(ChatErrorCodes.FileTooLarge, $"A file has at most {_limits.AttachmentMaxBytes} bytes.");
        }

        var contentType = FileSniffer.Sniff(content.Span, name)
            ?? throw new ChatException(ChatErrorCodes.InvalidFileType, "Allowed files are jpeg, png, gif, webp, pdf, doc, docx, xls and xlsx.");
        var info = new AttachmentInfo(Id, name, contentType, content.Length);
        await using var connection = await _database.OpenAsync();
        try
        {
            var inserted = await connection.ExecuteAsync(
                "INSERT INTO attachments (id, uploader_id, name, content_type, size, content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
                null, Sql.Uuid(Id), Sql.Uuid(userId), name, contentType, (long)content.Length, content.ToArray(), Sql.Time(Clock.Now(_time)));
            if (inserted == 0)
            {
                throw ChatException.Conflict("An attachment with this id already exists.");
            }
        }
        catch (PostgresException exception) when (exception.IsForeignKeyViolation())
        {
            throw ChatException.NotFound("User");
        }

        return info;
    }

    public async Task<AttachmentContent> Download(Guid userId)
    {
        await using var connection = await _database.OpenAsync();
        await using var command = connection.Command(
            "SELECT a.name, a.content_type, a.size, a.content FROM attachments a WHERE a.id = $1 AND (" +
            " (a.uploader_id = $2 AND NOT EXISTS (SELECT 1 FROM message_attachments ma WHERE ma.attachment_id = a.id))" +
            " OR EXISTS (SELECT 1 FROM message_attachments ma" +
            "   JOIN messages m ON m.id = ma.message_id AND m.deleted_at IS NULL" +
            "   JOIN conversations c ON c.id = m.conversation_id AND c.deleted_at IS NULL" +
            "   JOIN conversation_participants p ON p.conversation_id = c.id AND p.user_id = $2 AND p.left_at IS NULL" +
            "   JOIN organization_members om ON om.organization_id = c.organization_id AND om.user_id = $2" +
            "   WHERE ma.attachment_id = a.id))",
            null, Sql.Uuid(Id), Sql.Uuid(userId));
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            await reader.DisposeAsync();
            // Sent in a conversation the caller is not (or no longer) in: say so, as for the conversation's messages.
            var sent = await connection.ScalarAsync<bool>(
                "SELECT EXISTS (SELECT 1 FROM message_attachments ma JOIN messages m ON m.id = ma.message_id AND m.deleted_at IS NULL " +
                "JOIN conversations c ON c.id = m.conversation_id AND c.deleted_at IS NULL WHERE ma.attachment_id = $1)", null, Sql.Uuid(Id));
            throw sent ? ChatException.NotParticipant() : ChatException.NotFound("Attachment");
        }

        var info = new AttachmentInfo(Id, reader.GetString(0), reader.GetString(1), reader.GetInt64(2));
        return new AttachmentContent(info, (byte[])reader.GetValue(3));
    }
}
