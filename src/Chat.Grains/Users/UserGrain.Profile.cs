using System.Collections.Immutable;
using Chat.Grains.Storage;
using Npgsql;

namespace Chat.Grains.Users;

/// <summary>Profile and organizations.</summary>
internal sealed partial class UserGrain
{
    public Task<UserProfile> GetProfile() => Task.FromResult(RequireProfile() with { Status = _status });

    public async Task<UserProfile> UpdateProfile(UpdateProfileRequest change)
    {
        var profile = RequireProfile();
        var displayName = profile.DisplayName;
        if (change.DisplayName is not null)
        {
            displayName = change.DisplayName.Trim();
            if (displayName.Length < 1 || displayName.Length > _limits.DisplayNameMaxLength)
            {
                throw ChatException.Validation("displayName", $"A display name has 1 to {_limits.DisplayNameMaxLength} characters.");
            }
        }

        var avatarUrl = profile.AvatarUrl;
        if (change.AvatarUrl is not null)
        {
            avatarUrl = ValidAvatarUrl(change.AvatarUrl, _limits.AvatarUrlMaxLength);
        }

        var now = Clock.Now(_time);
        await using (var connection = await _database.OpenAsync())
        {
            // Conditional on the version we hold, so a stale duplicate activation cannot overwrite.
            var updated = await connection.ExecuteAsync(
                "UPDATE users SET display_name = $2, avatar_url = $3, updated_at = $4 WHERE id = $1 AND updated_at = $5",
                null, Sql.Uuid(Id), displayName, Sql.Text(avatarUrl), Sql.Time(now), Sql.Time(profile.UpdatedAt));
            if (updated != 1)
            {
                throw new InconsistentStateException($"User {Id} changed in another activation.");
            }
        }

        _profile = profile with { DisplayName = displayName, AvatarUrl = avatarUrl, UpdatedAt = now };
        return _profile with { Status = _status };
    }

    /// <summary>An absolute http(s) url of at most <paramref name="maxLength"/> characters; "" clears it.</summary>
    internal static string? ValidAvatarUrl(string url, int maxLength)
    {
        url = url.Trim();
        if (url.Length == 0)
        {
            return null;
        }

        if (url.Length > maxLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw ChatException.Validation("avatarUrl", $"An avatar url is an absolute http(s) url of at most {maxLength} characters.");
        }

        return url;
    }

    public async Task<ImmutableArray<OrganizationMembership>> GetOrganizations()
    {
        RequireProfile();
        var result = ImmutableArray.CreateBuilder<OrganizationMembership>();
        await using var connection = await _database.OpenAsync();
        await using var command = connection.Command(
            "SELECT o.id, o.name, m.role FROM organization_members m JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = $1 ORDER BY o.name, o.id",
            null, Sql.Uuid(Id));
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result.Add(new OrganizationMembership(reader.GetGuid(0), reader.GetString(1), EnumText.ParseRole(reader.GetString(2)) ?? Role.Member));
        }

        return result.ToImmutable();
    }

    internal static async Task<UserProfile?> ReadProfileAsync(NpgsqlConnection connection, Guid id)
    {
        await using var command = connection.Command(
            "SELECT id, username, display_name, email, avatar_url, status, last_seen_at, created_at, updated_at FROM users WHERE id = $1", null, Sql.Uuid(id));
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? ReadProfile(reader) : null;
    }

    internal static UserProfile ReadProfile(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3), reader.GetStringOrNull(4),
        EnumText.ParsePresence(reader.GetString(5)), reader.GetTimeOrNull(6), reader.GetTime(7), reader.GetTime(8));
}
