using Microsoft.Extensions.Options;

namespace Chat.Grains.Options;

/// <summary>Presence bookkeeping (section <c>Chat:Presence</c>).</summary>
public sealed class ChatPresenceOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Presence";

    /// <summary>
    /// A frontend's connections of a user count only while the frontend renews them at least this
    /// often, so a crashed frontend cannot keep users "online" forever. Default 90 s.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>How often expired leases are looked for while a user has any. Default 15 s.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Most contacts told about a presence change. Default 500.</summary>
    public int MaxContactsNotified { get; set; } = 500;
}

internal sealed class ChatPresenceOptionsValidator : IValidateOptions<ChatPresenceOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatPresenceOptions o)
    {
        var failures = new List<string>();
        if (o.LeaseDuration <= TimeSpan.Zero)
        {
            failures.Add($"{ChatPresenceOptions.SectionName}:{nameof(o.LeaseDuration)} must be positive.");
        }

        if (o.SweepInterval <= TimeSpan.Zero || o.SweepInterval > o.LeaseDuration)
        {
            failures.Add($"{ChatPresenceOptions.SectionName}:{nameof(o.SweepInterval)} must be positive and at most LeaseDuration.");
        }

        if (o.MaxContactsNotified < 0)
        {
            failures.Add($"{ChatPresenceOptions.SectionName}:{nameof(o.MaxContactsNotified)} must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
