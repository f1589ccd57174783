using System.Text.Json.Serialization;

namespace Chat.Grains;

/// <summary>Kind of conversation.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConversationType>))]
[GenerateSerializer, Alias("chat.ConversationType")]
public enum ConversationType
{
    /// <summary>Exactly two participants of one organization, no name.</summary>
    [JsonStringEnumMemberName("direct")]
    Direct,

    /// <summary>A named group with roles.</summary>
    [JsonStringEnumMemberName("group")]
    Group,
}

/// <summary>Role of a participant in a conversation, or of a member in an organization.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Role>))]
[GenerateSerializer, Alias("chat.Role")]
public enum Role
{
    /// <summary>Plain member.</summary>
    [JsonStringEnumMemberName("member")]
    Member,

    /// <summary>Manages members and names.</summary>
    [JsonStringEnumMemberName("admin")]
    Admin,

    /// <summary>Everything admins can, plus roles and deletion.</summary>
    [JsonStringEnumMemberName("owner")]
    Owner,
}

/// <summary>Kind of message.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MessageType>))]
[GenerateSerializer, Alias("chat.MessageType")]
public enum MessageType
{
    /// <summary>Written by a user.</summary>
    [JsonStringEnumMemberName("text")]
    Text,

    /// <summary>Written by the system (creation, joins, leaves, removals, renames); no sender.</summary>
    [JsonStringEnumMemberName("system")]
    System,
}

/// <summary>Presence of a user.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PresenceStatus>))]
[GenerateSerializer, Alias("chat.PresenceStatus")]
public enum PresenceStatus
{
    /// <summary>No connection anywhere.</summary>
    [JsonStringEnumMemberName("offline")]
    Offline,

    /// <summary>At least one connection.</summary>
    [JsonStringEnumMemberName("online")]
    Online,

    /// <summary>Connected but idle (the client said so).</summary>
    [JsonStringEnumMemberName("away")]
    Away,
}

/// <summary>Text forms used in the database and in JSON.</summary>
public static class EnumText
{
    /// <summary>"owner" / "admin" / "member".</summary>
    public static string ToText(this Role role) => role switch
    {
        Role.Owner => "owner",
        Role.Admin => "admin",
        _ => "member",
    };

    /// <summary>Parses "owner" / "admin" / "member"; null when unknown.</summary>
    public static Role? ParseRole(string? text) => text switch
    {
        "owner" => Role.Owner,
        "admin" => Role.Admin,
        "member" => Role.Member,
        _ => null,
    };

    /// <summary>"online" / "away" / "offline".</summary>
    public static string ToText(this PresenceStatus status) => status switch
    {
        PresenceStatus.Online => "online",
        PresenceStatus.Away => "away",
        _ => "offline",
    };

    /// <summary>Parses a presence status; offline when unknown.</summary>
    public static PresenceStatus ParsePresence(string? text) => text switch
    {
        "online" => PresenceStatus.Online,
        "away" => PresenceStatus.Away,
        _ => PresenceStatus.Offline,
    };
}
