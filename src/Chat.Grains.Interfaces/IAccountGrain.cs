
namespace Chat.Grains;

/// <summary>
/// Registration and password checks (key: the username in lower case, see <see cref="AccountKey"/>).
/// Tokens are the frontend's business.
/// </summary>
[Alias("account")]
public interface IAccountGrain : IGrainWithStringKey
{
    /// <summary>Registers the user (username <c>^[a-zA-Z0-9_]{3,50}$</c>, unique regardless of case); CONFLICT when taken.</summary>
    Task<UserProfile> Register(RegisterRequest registration);

    /// <summary>The profile when the password matches; UNAUTHORIZED otherwise (also for unknown users).</summary>
    Task<UserProfile> VerifyPassword(string password);

    /// <summary>The profile of the user with this username, or null.</summary>
    [ReadOnly]
    Task<UserProfile?> Find();
}

/// <summary>Keys of <see cref="IAccountGrain"/>.</summary>
public static class AccountKey
{
    /// <summary>The account key of a username.</summary>
    public static string For(string username) => username.Trim().ToLowerInvariant();
}
