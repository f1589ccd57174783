using Microsoft.Extensions.Options;

namespace Chat.Grains.Options;

/// <summary>The users' event logs (section <c>Chat:Events</c>).</summary>
public sealed class ChatEventsOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Events";

    /// <summary>
    /// Newest events a user's log keeps for resume and gap filling; a client that missed more is
    /// told to resync. Default 512.
    /// </summary>
    public int ReplayBufferSize { get; set; } = 512;
}

internal sealed class ChatEventsOptionsValidator : IValidateOptions<ChatEventsOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatEventsOptions o) =>
        o.ReplayBufferSize is < 1 or > 100_000
            ? ValidateOptionsResult.Fail($"{ChatEventsOptions.SectionName}:{nameof(o.ReplayBufferSize)} must be between 1 and 100000.")
            : ValidateOptionsResult.Success;
}
