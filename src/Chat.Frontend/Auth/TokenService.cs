using System.Security.Cryptography;
using Chat.Frontend.Hosting;
using Chat.Grains;
using Microsoft.Extensions.Options;

namespace Chat.Frontend.Auth;

/// <summary>
/// Issues opaque bearer tokens: 256 random bits, of which only the SHA-256 is stored (through the
/// session grain, in PostgreSQL). Nothing here is per-process, so any frontend validates any token.
/// </summary>
internal sealed class TokenService(IClusterClient cluster, IOptions<FrontendOptions> options, TimeProvider time)
{
    /// <summary>A new session of <paramref name="userId"/>: the token (shown once) and when it expires.</summary>
    public async Task<(string Token, DateTimeOffset ExpiresAt)> IssueAsync(Guid userId)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var expiresAt = time.GetUtcNow() + options.Value.TokenLifetime;
        await cluster.GetGrain<ISessionGrain>(SessionKey.For(token)).Create(userId, expiresAt);
        return (token, expiresAt);
    }

    /// <summary>Revokes the session with this key everywhere.</summary>
    public Task RevokeAsync(string sessionKey) => cluster.GetGrain<ISessionGrain>(sessionKey).Revoke();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
