using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Chat.Client;

/// <summary>
/// The JSON settings of the chat API (camelCase, string enums, nulls omitted so that optional
/// fields of PATCH bodies mean "unchanged"). The SDK's own types come from a source-generated
/// context; other types fall back to reflection, so handlers may bind events to their own records.
/// </summary>
public static class ChatJson
{
    /// <summary>Read-only options shared by every client; creating options per call would defeat the metadata cache.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Creates a fresh, writable copy of <see cref="Options"/> for callers that need to add converters.</summary>
    public static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(ChatJsonContext.Default.Options)
        {
            TypeInfoResolver = JsonTypeInfoResolver.Combine(ChatJsonContext.Default, new DefaultJsonTypeInfoResolver()),
        };
        options.MakeReadOnly();
        return options;
    }
}

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ChatErrorEnvelope))]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(AuthResponse))]
[JsonSerializable(typeof(MeResponse))]
[JsonSerializable(typeof(UpdateProfileRequest))]
[JsonSerializable(typeof(UserProfile))]
[JsonSerializable(typeof(CreateOrganizationRequest))]
[JsonSerializable(typeof(OrganizationInfo))]
[JsonSerializable(typeof(OrganizationDirectory))]
[JsonSerializable(typeof(OrganizationMember))]
[JsonSerializable(typeof(AddMemberRequest))]
[JsonSerializable(typeof(Inbox))]
[JsonSerializable(typeof(ConversationDetails))]
[JsonSerializable(typeof(OpenDirectRequest))]
[JsonSerializable(typeof(CreateGroupRequest))]
[JsonSerializable(typeof(UpdateConversationRequest))]
[JsonSerializable(typeof(AddParticipantsRequest))]
[JsonSerializable(typeof(ChangeRoleRequest))]
[JsonSerializable(typeof(ParticipantSettingsRequest))]
[JsonSerializable(typeof(MarkReadRequest))]
[JsonSerializable(typeof(ReadState))]
[JsonSerializable(typeof(MessagePage))]
[JsonSerializable(typeof(SendMessageRequest))]
[JsonSerializable(typeof(ChatMessage))]
[JsonSerializable(typeof(EditMessageRequest))]
[JsonSerializable(typeof(MessageReceipts))]
[JsonSerializable(typeof(SearchResult))]
[JsonSerializable(typeof(AttachmentInfo))]
[JsonSerializable(typeof(MessageEvent))]
[JsonSerializable(typeof(ConversationEvent))]
[JsonSerializable(typeof(ConversationRemovedEvent))]
[JsonSerializable(typeof(ReadUpdatedEvent))]
[JsonSerializable(typeof(UnreadChangedEvent))]
[JsonSerializable(typeof(TypingEvent))]
[JsonSerializable(typeof(PresenceEvent))]
[JsonSerializable(typeof(ResumeResult))]
[JsonSerializable(typeof(PresenceAnswer))]
[JsonSerializable(typeof(MyParticipation))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(Guid))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(bool))]
internal sealed partial class ChatJsonContext : JsonSerializerContext;
