using System.Text.RegularExpressions;
using Chat.Grains.Diagnostics;
using Chat.Grains.Options;
using Chat.Grains.Storage;
using Chat.Grains.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.Grains.Accounts;

/// <summary>Whose password a hash belongs to (the hasher's user type).</summary>
internal sealed record AccountUser(Guid Id);

/// <summary>
/// Registration and password verification for one username (key: the username in lower case).
/// Passwords are stored only as ASP.NET Core Identity PBKDF2 hashes and never logged.
/// </summary>
internal sealed partial class AccountGrain : Grain, IAccountGrain
{
    private const string ProfileColumns = "id, username, display_name, email, avatar_url, status, last_seen_at, created_at, updated_at";
    private readonly ChatDatabase _database;
    private readonly IPasswordHasher<AccountUser> _hasher;
    private readonly ChatLimitsOptions _limits;
    private readonly TimeProvider _time;
    private readonly ILogger<AccountGrain> _logger;

    public AccountGrain(ChatDatabase database, IPasswordHasher<AccountUser> hasher, IOptions<ChatLimitsOptions> limits, TimeProvider time, ILogger<AccountGrain> logger)
    {
        _database = database;
        _hasher = hasher;
        _limits = limits.Value;
        _time = time;
        _logger = logger;
    }

    private string Key => this.GetPrimaryKeyString();

    public async Task<UserProfile> Register(RegisterRequest registration)
    {
        var username = registration.Username?.Trim() ?? "";
        if (!UsernamePattern().IsMatch(username))
        {
            throw ChatException.Validation("username", "A username has 3 to 50 letters, digits or underscores.");
        }

        if (AccountKey.For(username) != Key)
        {
            throw ChatException.Validation("username", "The username does not belong to this account.");
        }

        var password = registration.Password ?? "";
        if (password.Length < _limits.PasswordMinLength || password.Length > 1024)
        {
            throw ChatException.Validation("password", $"A password has {_limits.PasswordMinLength} to 1024 characters.");
        }

        var displayName = string.IsNullOrWhiteSpace(registration.DisplayName) ? username : registration.DisplayName.Trim();
        if (displayName.Length > _limits.DisplayNameMaxLength)
        {
            throw ChatException.Validation("displayName", $"A display name has 1 to {_limits.DisplayNameMaxLength} characters.");
        }

        var email = string.IsNullOrWhiteSpace(registration.Email) ? null : registration.Email.Trim();
        if (email is not null && (email.Length > 254 || email.IndexOf('@', StringComparison.Ordinal) is < 1 || email.EndsWith('@') || email.Any(char.IsWhiteSpace)))
        {
            throw ChatException.Validation("email", "The email address is not valid.");
        }

        var id = Guid.CreateVersion7();
        var hash = _hasher.HashPassword(new AccountUser(id), password);
        var now = Clock.Now(_time);
        await using var connection = await _database.OpenAsync();
        try
        {
            await connection.ExecuteAsync(
                "INSERT INTO users (id, username, display_name, email, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                null, Sql.Uuid(id), username, displayName, Sql.Text(email), hash, Sql.Time(now));
        }
        catch (PostgresException exception) when (exception.IsUniqueViolation("users_username_key"))
        {
            throw new ChatException(ChatErrorCodes.Conflict, "The username is taken.", "username");
        }
        catch (PostgresException exception) when (exception.IsUniqueViolation("users_email_key"))
        {
            throw new ChatException(ChatErrorCodes.Conflict, "The email address is already registered.", "email");
        }

        ChatLog.UserRegistered(_logger, id, username);
        return new UserProfile(id, username, displayName, email, null, PresenceStatus.Offline, null, now, now);
    }

    public async Task<UserProfile> VerifyPassword(string password)
    {
        await using var connection = await _database.OpenAsync();
        UserProfile? profile = null;
        string? hash = null;
        await using (var command = connection.Command($"SELECT {ProfileColumns}, password_hash FROM users WHERE lower(username) = $1", null, Key))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            if (await reader.ReadAsync())
            {
                profile = UserGrain.ReadProfile(reader);
                hash = reader.GetString(9);
            }
        }

        if (profile is null || hash is null || string.IsNullOrEmpty(password))
        {
            // Same work as a real check, so timing does not reveal which usernames exist.
            _hasher.VerifyHashedPassword(new AccountUser(Guid.Empty), UnknownUserHash, password ?? "");
            ChatLog.LoginFailed(_logger, Key);
            throw new ChatException(ChatErrorCodes.Unauthorized, "Invalid username or password.");
        }

        var result = _hasher.VerifyHashedPassword(new AccountUser(profile.Id), hash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            ChatLog.LoginFailed(_logger, Key);
            throw new ChatException(ChatErrorCodes.Unauthorized, "Invalid username or password.");
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await connection.ExecuteAsync("UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3",
                null, Sql.Uuid(profile.Id), _hasher.HashPassword(new AccountUser(profile.Id), password), hash);
        }

        return profile;
    }

    public async Task<UserProfile?> Find()
    {
        await using var connection = await _database.OpenAsync();
        await using var command = connection.Command($"SELECT {ProfileColumns} FROM users WHERE lower(username) = $1", null, Key);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? UserGrain.ReadProfile(reader) : null;
    }

    private string UnknownUserHash => _unknownUserHash ??= _hasher.HashPassword(new AccountUser(Guid.Empty), Guid.NewGuid().ToString());

    private string? _unknownUserHash;

    [GeneratedRegex("^[a-zA-Z0-9_]{3,50}$")]
    private static partial Regex UsernamePattern();
}
