using System.Text.Json.Serialization;

namespace Chat.Client;

/// <summary>Kind of conversation (JSON <c>"direct"</c> / <c>"group"</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ConversationType>))]
public enum ConversationType
{
    /// <summary>Exactly two participants of one organization, no name.</summary>
    [JsonStringEnumMemberName("direct")]
    Direct,

    /// <summary>A named group with roles.</summary>
    [JsonStringEnumMemberName("group")]
    Group,
}

/// <summary>Role in a conversation or an organization (JSON <c>"owner"</c> / <c>"admin"</c> / <c>"member"</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Role>))]
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

/// <summary>Kind of message (JSON <c>"text"</c> / <c>"system"</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MessageType>))]
public enum MessageType
{
    /// <summary>Written by a user.</summary>
    [JsonStringEnumMemberName("text")]
    Text,

    /// <summary>Written by the system (creation, joins, leaves, removals, renames); no sender.</summary>
    [JsonStringEnumMemberName("system")]
    System,
}

/// <summary>Presence of a user (JSON <c>"online"</c> / <c>"away"</c> / <c>"offline"</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PresenceStatus>))]
public enum PresenceStatus
{
    /// <summary>No connection anywhere.</summary>
    [JsonStringEnumMemberName("offline")]
    Offline,

    /// <summary>At least one connection.</summary>
    [JsonStringEnumMemberName("online")]
    Online,

    /// <summary>Connected but idle.</summary>
    [JsonStringEnumMemberName("away")]
    Away,
}
