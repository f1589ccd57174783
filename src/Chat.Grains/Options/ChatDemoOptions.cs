using Microsoft.Extensions.Options;

namespace Chat.Grains.Options;

/// <summary>Demo data (section <c>Chat:Demo</c>; SPEC section 10).</summary>
public sealed class ChatDemoOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Demo";

    /// <summary>Load the demo tenant when the silo starts (idempotent). Default false.</summary>
    public bool Load { get; set; }

    /// <summary>Password of every demo user. Default <c>demo-password</c>.</summary>
    public string Password { get; set; } = "demo-password";
}

internal sealed class ChatDemoOptionsValidator : IValidateOptions<ChatDemoOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatDemoOptions o) =>
        string.IsNullOrEmpty(o.Password)
            ? ValidateOptionsResult.Fail($"{ChatDemoOptions.SectionName}:{nameof(o.Password)} must not be empty.")
            : ValidateOptionsResult.Success;
}
