using Microsoft.Extensions.Options;

namespace Chat.Grains.Options;

/// <summary>Password hashing (section <c>Chat:Auth</c>).</summary>
public sealed class ChatAuthOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Auth";

    /// <summary>
    /// PBKDF2 iterations of new password hashes (ASP.NET Core Identity's v3 format). Default 100,000;
    /// tests lower it to save time. Existing hashes keep the count they were made with.
    /// </summary>
    public int PasswordHashIterations { get; set; } = 100_000;
}

internal sealed class ChatAuthOptionsValidator : IValidateOptions<ChatAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatAuthOptions o) =>
        o.PasswordHashIterations < 1000
            ? ValidateOptionsResult.Fail($"{ChatAuthOptions.SectionName}:{nameof(o.PasswordHashIterations)} must be at least 1000.")
            : ValidateOptionsResult.Success;
}
