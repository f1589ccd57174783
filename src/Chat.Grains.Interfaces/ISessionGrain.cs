using System.Security.Cryptography;
using System.Text;

namespace Chat.Grains;

/// <summary>
/// One login session (key: <see cref="SessionKey.For"/> of the bearer token, i.e. its SHA-256 in
/// lower-case hex). Only the hash is stored (PostgreSQL table <c>sessions</c>), so a database leak
/// yields no usable token; every frontend validates tokens here, so a token issued by one frontend
/// works on all of them and a logout revokes it everywhere at once.
/// </summary>
[Alias("session")]
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Stores a new session of <paramref name="userId"/>; CONFLICT when the key is already used.</summary>
    Task<SessionInfo> Create(Guid userId, DateTimeOffset expiresAt);

    /// <summary>The session while it is neither revoked nor expired, else null (answered from memory).</summary>
    [ReadOnly]
    Task<SessionInfo?> Validate();

    /// <summary>Revokes the session (idempotent) and tells the user's frontends to close its connections.</summary>
    Task Revoke();
}

/// <summary>A valid session.</summary>
[GenerateSerializer, Immutable, Alias("chat.SessionInfo")]
public sealed record SessionInfo(Guid UserId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>Keys of <see cref="ISessionGrain"/>.</summary>
public static class SessionKey
{
    /// <summary>The key of a token: SHA-256 of its UTF-8 bytes, lower-case hex (64 characters).</summary>
    public static string For(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>True for a well-formed key (64 lower-case hex digits).</summary>
    public static bool IsValid(string key) => key.Length == 64 && key.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
