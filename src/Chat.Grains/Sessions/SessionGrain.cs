using Chat.Grains.Diagnostics;
using Chat.Grains.Events;
using Chat.Grains.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Chat.Grains.Sessions;

/// <summary>
/// One login session, keyed by the SHA-256 of its bearer token. Loaded once per activation, then
/// answered from memory, so validating a token on every request costs one in-memory call. A revoke
/// is written before it is acknowledged; a stale duplicate activation could answer "valid" until it is
/// collected, which is why the frontends also drop connections on the <see cref="SessionRevokedEvent"/>.
/// </summary>
internal sealed class SessionGrain : Grain, ISessionGrain
{
    private readonly ChatDatabase _database;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionGrain> _logger;
    private Row? _row;

    public SessionGrain(ChatDatabase database, TimeProvider time, ILogger<SessionGrain> logger)
    {
        _database = database;
        _time = time;
        _logger = logger;
    }

    private string Key => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!SessionKey.IsValid(Key))
        {
            return;
        }

        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT user_id, created_at, expires_at, revoked_at FROM sessions WHERE token_hash = $1", null, Key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (await reader.ReadAsync(cancellationToken))
        {
            _row = new Row(new SessionInfo(reader.GetGuid(0), reader.GetTime(1), reader.GetTime(2)), reader.GetTimeOrNull(3));
        }
    }

    public async Task<SessionInfo> Create(Guid userId, DateTimeOffset expiresAt)
    {
        if (!SessionKey.IsValid(Key))
        {
            throw ChatException.Validation("token", "A session key is the SHA-256 of the token in lower-case hex.");
        }

        if (_row is not null)
        {
            throw ChatException.Conflict("The session exists already.");
        }

        var now = Clock.Now(_time);
        var info = new SessionInfo(userId, now, expiresAt);
        await using var connection = await _database.OpenAsync();
        try
        {
            await connection.ExecuteAsync(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                null, Key, Sql.Uuid(userId), Sql.Time(now), Sql.Time(expiresAt));
        }
        catch (PostgresException exception) when (exception.IsUniqueViolation())
        {
            throw ChatException.Conflict("The session exists already.");
        }
        catch (PostgresException exception) when (exception.IsForeignKeyViolation())
        {
            throw ChatException.NotFound("User");
        }

        _row = new Row(info, null);
        ChatLog.SessionCreated(_logger, userId);
        return info;
    }

    public Task<SessionInfo?> Validate() =>
        Task.FromResult(_row is { RevokedAt: null } row && row.Info.ExpiresAt > _time.GetUtcNow() ? row.Info : null);

    public async Task Revoke()
    {
        if (_row is not { RevokedAt: null } row)
        {
            return;
        }

        var now = Clock.Now(_time);
        await using (var connection = await _database.OpenAsync())
        {
            await connection.ExecuteAsync(
                "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL", null, Key, Sql.Time(now));
        }

        _row = row with { RevokedAt = now };
        ChatLog.SessionRevoked(_logger, row.Info.UserId);
        try
        {
            await GrainFactory.GetGrain<IUserGrain>(row.Info.UserId).PushEphemeral(new SessionRevokedEvent(Key));
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ChatLog.PublishFailed(_logger, row.Info.UserId, UserEventTypes.SessionRevoked, exception);
        }
    }

    private sealed record Row(SessionInfo Info, DateTimeOffset? RevokedAt);
}
