namespace Chat.Grains.Conversations;

/// <summary>A conversation's metadata as its grain holds it.</summary>
internal sealed class ConversationState
{
    public required Guid Id { get; init; }

    public required ConversationType Type { get; init; }

    public required Guid OrganizationId { get; init; }

    public string? Name { get; set; }

    public string? Description { get; set; }

    public required Guid CreatedBy { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? DeletedAt { get; set; }

    /// <summary>Version of the conversations row: every metadata or membership change is conditional on it.</summary>
    public long Version { get; set; }

    public long LastSeq { get; set; }

    /// <summary>Everyone who ever took part (senders of old messages keep their names), by user id.</summary>
    public Dictionary<Guid, Participant> Participants { get; } = [];

    public IEnumerable<Participant> Active => Participants.Values.Where(p => p.IsActive);
}

/// <summary>One participation, with the user's profile as of activation.</summary>
internal sealed class Participant
{
    public required Guid UserId { get; init; }

    public required string DisplayName { get; set; }

    public string? AvatarUrl { get; set; }

    public Role Role { get; set; }

    public DateTimeOffset JoinedAt { get; set; }

    public DateTimeOffset? LeftAt { get; set; }

    public long LastReadSeq { get; set; }

    public DateTimeOffset? LastReadAt { get; set; }

    public long LastDeliveredSeq { get; set; }

    public bool IsStarred { get; set; }

    public bool IsMuted { get; set; }

    /// <summary>When this participant's last typing notice went out (memory only; throttling).</summary>
    public DateTimeOffset LastTypingAt { get; set; }

    /// <summary>Live text messages of others after <see cref="LastReadSeq"/>.</summary>
    public int Unread { get; set; }

    public bool IsActive => LeftAt is null;

    public UserSummary Summary => new(UserId, DisplayName, AvatarUrl);
}
