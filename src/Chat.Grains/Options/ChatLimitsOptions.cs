using Microsoft.Extensions.Options;

namespace Chat.Grains.Options;

/// <summary>
/// Limits of the chat domain (section <c>Chat:Limits</c>). Every limit of the SPEC is a default here;
/// deployments and load tests change them in configuration.
/// </summary>
public sealed class ChatLimitsOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Limits";

    /// <summary>Fewest participants of a group, creator included. Default 3.</summary>
    public int GroupMinParticipants { get; set; } = 3;

    /// <summary>Most participants of a group, creator included. Default 50 (1,000 works when configured).</summary>
    public int GroupMaxParticipants { get; set; } = 50;

    /// <summary>Longest group name in characters, after trimming. Default 255.</summary>
    public int GroupNameMaxLength { get; set; } = 255;

    /// <summary>Longest group description in characters. Default 2,000.</summary>
    public int DescriptionMaxLength { get; set; } = 2000;

    /// <summary>Longest message in characters. Default 4,000.</summary>
    public int MessageMaxLength { get; set; } = 4000;

    /// <summary>Longest client message id in characters. Default 100.</summary>
    public int ClientMessageIdMaxLength { get; set; } = 100;

    /// <summary>Messages a user may send per <see cref="RateLimitWindow"/>. Default 10.</summary>
    public int MessagesPerMinute { get; set; } = 10;

    /// <summary>The rate limit's sliding window. Default 1 minute.</summary>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Largest attachment in bytes. Default 10 MB.</summary>
    public long AttachmentMaxBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>Most attachments per message. Default 5.</summary>
    public int AttachmentsPerMessage { get; set; } = 5;

    /// <summary>Largest total size of one message's attachments in bytes. Default 50 MB.</summary>
    public long AttachmentsTotalMaxBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Messages each conversation keeps in memory (at least 100). Default 200.</summary>
    public int InMemoryMessages { get; set; } = 200;

    /// <summary>History page size when none is asked for. Default 50.</summary>
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>Largest history or search page. Default 100.</summary>
    public int MaxPageSize { get; set; } = 100;

    /// <summary>Characters of the last message shown in the inbox. Default 200.</summary>
    public int PreviewLength { get; set; } = 200;

    /// <summary>Participants listed per inbox entry (the count is always complete). Default 20.</summary>
    public int InboxParticipantsShown { get; set; } = 20;

    /// <summary>Read receipts are pushed to the other participants only in conversations up to this size. Default 100.</summary>
    public int ReceiptFanOutMaxParticipants { get; set; } = 100;

    /// <summary>Longest reaction emoji in UTF-8 bytes. Default 32.</summary>
    public int EmojiMaxBytes { get; set; } = 32;

    /// <summary>Longest search query in characters. Default 200.</summary>
    public int SearchQueryMaxLength { get; set; } = 200;

    /// <summary>Longest display name in characters. Default 100.</summary>
    public int DisplayNameMaxLength { get; set; } = 100;

    /// <summary>Longest avatar url in characters. Default 500.</summary>
    public int AvatarUrlMaxLength { get; set; } = 500;

    /// <summary>Shortest password in characters. Default 8.</summary>
    public int PasswordMinLength { get; set; } = 8;

    /// <summary>Typing notices of one participant closer together than this are dropped (clients send one per 2 s). Default 1 s.</summary>
    public TimeSpan TypingThrottle { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a typing indicator shows unless renewed. Default 5 s.</summary>
    public TimeSpan TypingExpiry { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Typing indicators are sent only in conversations up to this size. Default 200.</summary>
    public int TypingFanOutMaxParticipants { get; set; } = 200;
}

/// <summary>Checks <see cref="ChatLimitsOptions"/> at start; each message names the option.</summary>
internal sealed class ChatLimitsOptionsValidator : IValidateOptions<ChatLimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatLimitsOptions o)
    {
        var failures = new List<string>();
        void Require(bool ok, string option, string rule)
        {
            if (!ok)
            {
                failures.Add($"{ChatLimitsOptions.SectionName}:{option} {rule}.");
            }
        }

        Require(o.GroupMinParticipants >= 2, nameof(o.GroupMinParticipants), "must be at least 2");
        Require(o.GroupMaxParticipants >= o.GroupMinParticipants, nameof(o.GroupMaxParticipants), $"must be at least GroupMinParticipants ({o.GroupMinParticipants})");
        Require(o.GroupNameMaxLength is >= 1 and <= 255, nameof(o.GroupNameMaxLength), "must be between 1 and 255");
        Require(o.DescriptionMaxLength >= 0, nameof(o.DescriptionMaxLength), "must not be negative");
        Require(o.MessageMaxLength >= 1, nameof(o.MessageMaxLength), "must be positive");
        Require(o.ClientMessageIdMaxLength >= 1, nameof(o.ClientMessageIdMaxLength), "must be positive");
        Require(o.MessagesPerMinute >= 1, nameof(o.MessagesPerMinute), "must be positive");
        Require(o.RateLimitWindow > TimeSpan.Zero, nameof(o.RateLimitWindow), "must be positive");
        Require(o.AttachmentMaxBytes >= 1, nameof(o.AttachmentMaxBytes), "must be positive");
        Require(o.AttachmentsPerMessage >= 0, nameof(o.AttachmentsPerMessage), "must not be negative");
        Require(o.AttachmentsTotalMaxBytes >= o.AttachmentMaxBytes, nameof(o.AttachmentsTotalMaxBytes), "must be at least AttachmentMaxBytes");
        Require(o.InMemoryMessages >= 100, nameof(o.InMemoryMessages), "must be at least 100");
        Require(o.MaxPageSize >= 1 && o.MaxPageSize <= o.InMemoryMessages, nameof(o.MaxPageSize), "must be between 1 and InMemoryMessages");
        Require(o.DefaultPageSize >= 1 && o.DefaultPageSize <= o.MaxPageSize, nameof(o.DefaultPageSize), "must be between 1 and MaxPageSize");
        Require(o.PreviewLength >= 1, nameof(o.PreviewLength), "must be positive");
        Require(o.InboxParticipantsShown >= 1, nameof(o.InboxParticipantsShown), "must be positive");
        Require(o.ReceiptFanOutMaxParticipants >= 2, nameof(o.ReceiptFanOutMaxParticipants), "must be at least 2");
        Require(o.EmojiMaxBytes is >= 1 and <= 32, nameof(o.EmojiMaxBytes), "must be between 1 and 32");
        Require(o.SearchQueryMaxLength >= 1, nameof(o.SearchQueryMaxLength), "must be positive");
        Require(o.DisplayNameMaxLength is >= 1 and <= 100, nameof(o.DisplayNameMaxLength), "must be between 1 and 100");
        Require(o.AvatarUrlMaxLength is >= 1 and <= 500, nameof(o.AvatarUrlMaxLength), "must be between 1 and 500");
        Require(o.PasswordMinLength >= 1, nameof(o.PasswordMinLength), "must be positive");
        Require(o.TypingThrottle >= TimeSpan.Zero, nameof(o.TypingThrottle), "must not be negative");
        Require(o.TypingExpiry > o.TypingThrottle, nameof(o.TypingExpiry), "must be longer than TypingThrottle");
        Require(o.TypingFanOutMaxParticipants >= 2, nameof(o.TypingFanOutMaxParticipants), "must be at least 2");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
