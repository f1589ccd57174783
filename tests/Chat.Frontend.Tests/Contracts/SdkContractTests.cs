using System.Net;
using System.Reflection;
using System.Text.Json;
using Chat.Frontend.Api;
using Chat.Frontend.Hosting;
using Chat.Frontend.Realtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sdk = Chat.Client;
using Server = Chat.Grains;

namespace Chat.Frontend.Tests.Contracts;

/// <summary>
/// The SDK (src/Chat.Client) repeats the wire contracts instead of referencing the grain interfaces.
/// These tests fail when the copies drift: what the frontend writes, read by the SDK and written back
/// the frontend's way, must be the same JSON (a field the SDK lacks, renames or mistypes shows as a
/// difference), the other way round for request bodies, and enums, error codes and event names must match.
/// Reflection finds the server's contracts, so a new one fails here until it is compared or named as server-only.
/// </summary>
public sealed class SdkContractTests
{
    private static readonly (JsonSerializerOptions Http, JsonSerializerOptions Hub) FrontendJson = FrontendJsonOptions();

    /// <summary>What ConnectionRegistry serialises pushed events with.</summary>
    private static readonly JsonSerializerOptions EventJson = ChatJson.Create();

    [Theory]
    [MemberData(nameof(AnswerNames))]
    public void Every_answer_of_the_frontend_reads_into_the_SDK_without_losing_a_field(string answer)
    {
        var (value, json, sdkType) = Answers[answer];
        var sent = JsonSerializer.SerializeToElement(value, value.GetType(), json);

        var read = sent.Deserialize(sdkType, Sdk.ChatJson.Options)!;

        AssertSameJson(sent, JsonSerializer.SerializeToElement(read, sdkType, json), $"{value.GetType().Name} read as Sdk.{sdkType.Name}", reader: "the SDK");
    }

    [Theory]
    [MemberData(nameof(EventNames))]
    public void Every_event_the_frontend_pushes_reads_into_the_SDK_without_losing_a_field(string name)
    {
        var (evt, sdkType) = Events[name];
        var pushed = Push(evt);

        var read = pushed.Payload.Deserialize(sdkType, Sdk.ChatJson.Options)!;

        // "type" repeats the hub method name. Positioned events keep it (Resume answers carry them without a
        // method name); ephemeral ones are never replayed, so the SDK's records of those have no Type.
        var expected = typeof(Sdk.ChatEvent).IsAssignableFrom(sdkType) ? pushed.Payload : Without(pushed.Payload, "type");
        AssertSameJson(expected, JsonSerializer.SerializeToElement(read, sdkType, EventJson), $"{evt.GetType().Name} read as Sdk.{sdkType.Name}", reader: "the SDK");
        Assert.Equal(name, pushed.Name);
    }

    [Theory]
    [MemberData(nameof(RequestNames))]
    public void Every_request_body_of_the_SDK_reads_into_the_frontend_without_losing_a_field(string request)
    {
        var (value, bodyType) = Requests[request];
        var sent = JsonSerializer.SerializeToElement(value, value.GetType(), Sdk.ChatJson.Options);

        var read = sent.Deserialize(bodyType, FrontendJson.Http)!;

        AssertSameJson(sent, JsonSerializer.SerializeToElement(read, bodyType, Sdk.ChatJson.Options), $"Sdk.{value.GetType().Name} read as {bodyType.Name}", reader: "the frontend");
    }

    [Fact]
    public void Every_server_contract_is_compared_with_the_SDK_or_named_as_never_sent_to_clients()
    {
        var compared = Reachable(Answers.Values.Select(a => a.Value.GetType()).Concat(Events.Values.Select(e => e.Event.GetType())));
        var contracts = PublicRecords(typeof(Server.Inbox).Assembly, "Chat.Grains")
            .Concat(PublicRecords(typeof(ApiErrorResponse).Assembly, "Chat.Frontend"))
            .Where(t => !IsRequestBody(t));

        var unaccounted = contracts.Where(t => !compared.Contains(t) && !NeverSentToClients.Contains(t)).Select(t => t.FullName).Order().ToList();

        Assert.True(unaccounted.Count == 0, "Compare these with the SDK (Answers, Events) or add them to NeverSentToClients: " + string.Join(", ", unaccounted));
    }

    [Fact]
    public void Every_SDK_model_and_request_body_is_compared_with_the_frontend_or_named_as_made_by_the_SDK()
    {
        var compared = Reachable(Answers.Values.Select(a => a.SdkType).Concat(Events.Values.Select(e => e.SdkType)).Concat(Requests.Values.Select(r => r.Value.GetType())));
        var bodies = Requests.Values.Select(r => r.BodyType).ToHashSet();

        var unaccounted = PublicRecords(typeof(Sdk.ChatJson).Assembly, "Chat.Client")
            .Where(t => !compared.Contains(t) && !MadeByTheSdk.Contains(t))
            .Concat(PublicRecords(typeof(ApiErrorResponse).Assembly, "Chat.Frontend.Api").Where(t => IsRequestBody(t) && !bodies.Contains(t)))
            .Select(t => t.FullName).Order().ToList();

        Assert.True(unaccounted.Count == 0, "Compare these (Answers, Events, Requests) or add them to MadeByTheSdk: " + string.Join(", ", unaccounted));
    }

    [Fact]
    public void Every_server_enum_has_an_SDK_enum_with_the_same_members_and_JSON_names()
    {
        var serverEnums = typeof(Server.Inbox).Assembly.GetExportedTypes().Where(t => t.IsEnum && t.Namespace == "Chat.Grains").ToList();
        Assert.NotEmpty(serverEnums);

        foreach (var serverEnum in serverEnums)
        {
            var sdkEnum = typeof(Sdk.ChatJson).Assembly.GetType("Chat.Client." + serverEnum.Name);
            Assert.True(sdkEnum is { IsEnum: true }, $"The SDK has no enum {serverEnum.Name}.");
            var (serverNames, sdkNames) = (string.Join(", ", Enum.GetNames(serverEnum).Order()), string.Join(", ", Enum.GetNames(sdkEnum).Order()));
            Assert.True(serverNames == sdkNames, $"{serverEnum.Name}: the server has {serverNames}, the SDK {sdkNames}.");
            foreach (var value in Enum.GetValues(serverEnum))
            {
                var sent = JsonSerializer.Serialize(value, serverEnum, FrontendJson.Http);
                var read = JsonSerializer.Deserialize(sent, sdkEnum, Sdk.ChatJson.Options);
                Assert.Equal(value.ToString(), read?.ToString());
                Assert.Equal(sent, JsonSerializer.Serialize(read, sdkEnum, Sdk.ChatJson.Options));
            }
        }
    }

    [Fact]
    public void Every_server_error_code_is_an_SDK_error_code_of_the_same_name_and_value()
    {
        var server = Constants(typeof(Server.ChatErrorCodes));

        Assert.Equal(server.OrderBy(c => c.Key), Constants(typeof(Sdk.ChatErrorCodes)).OrderBy(c => c.Key));
        Assert.Equal(server.Values.Order(), Server.ChatErrorCodes.All.Order());
        Assert.Equal(Server.ChatErrorCodes.All.Order(), Sdk.ChatErrorCodes.All.Order());
    }

    [Fact]
    public void The_code_the_SDK_gives_a_bare_error_status_is_one_the_server_answers_with_that_status()
    {
        foreach (var status in Server.ChatErrorCodes.All.Select(Server.ChatErrorCodes.HttpStatusOf).Distinct())
        {
            var code = Sdk.ChatErrorCodes.OfStatus((HttpStatusCode)status);
            Assert.True(Server.ChatErrorCodes.HttpStatusOf(code) == status, $"The SDK calls a bare {status} {code}, which the server answers with {Server.ChatErrorCodes.HttpStatusOf(code)}.");
        }
    }

    [Fact]
    public void The_SDK_listens_for_exactly_the_events_the_frontend_pushes()
    {
        var pushed = Constants(typeof(Server.UserEventTypes))
            .Where(c => c.Value != Server.UserEventTypes.SessionRevoked) // consumed by frontends, never pushed
            .Append(new(nameof(EventWire.Reconnect), EventWire.Reconnect))
            .Append(new(nameof(EventWire.Resync), EventWire.Resync));

        Assert.Equal(pushed.OrderBy(c => c.Key), Constants(typeof(Sdk.ChatEvents)).OrderBy(c => c.Key));
    }

    // ---- What the frontend sends, fully populated so that every field is on the wire ----

    private static readonly DateTimeOffset At = new DateTimeOffset(2025, 1, 31, 12, 0, 0, 123, TimeSpan.Zero).AddMicroseconds(456);

    private static readonly Server.UserProfile Profile = new(Id(1), "ann", "Ann", "ann@example.com", "https://example.com/ann.png", Server.PresenceStatus.Away, At, At.AddDays(-2), At.AddDays(-1));

    private static readonly Server.MessageDto Message = new(
        Id(10), Id(20), 7, Id(1), new Server.UserSummary(Id(1), "Ann", "https://example.com/ann.png"), Server.MessageType.Text, "hello",
        [new Server.AttachmentInfo(Id(11), "photo.png", "image/png", 1234)],
        new Server.ReplyPreview(Id(12), 6, "earlier", true),
        [new Server.ReactionGroup("👍", 2, [Id(1), Id(2)])],
        At, At.AddMinutes(1), At.AddMinutes(2), "client-1", "created");

    private static readonly Server.InboxEntry Entry = new(
        Id(20), Server.ConversationType.Group, Id(30), "Team", "Team",
        [new Server.InboxParticipant(Id(1), "Ann", "https://example.com/ann.png", Server.PresenceStatus.Online)], 3,
        new Server.LastMessagePreview(Id(10), 7, Id(1), "Ann", Server.MessageType.System, "hello", At, 1, true),
        At, 7, 6, 1, true, true, Server.Role.Admin);

    private static readonly Server.MyParticipation Me = new(Server.Role.Owner, 6, At, 1, true, true);

    private static readonly Server.OrganizationMember Member = new(Id(2), "bob", "Bob", "https://example.com/bob.png", Server.Role.Admin, At);

    private static readonly Server.ReceiptEntry Receipt = new(Id(2), At);

    /// <summary>REST answers and hub results, by where they come from, with the JSON options the frontend writes them with.</summary>
    private static readonly Dictionary<string, (object Value, JsonSerializerOptions Json, Type SdkType)> Answers = new()
    {
        ["POST /api/auth/register, /login"] = (new AuthResponse("token", At, Profile), FrontendJson.Http, typeof(Sdk.AuthResponse)),
        ["GET, PATCH /api/me"] = (MeResponse.Of(Profile, [new Server.OrganizationMembership(Id(30), "Acme", Server.Role.Member)]), FrontendJson.Http, typeof(Sdk.MeResponse)),
        ["POST /api/organizations"] = (new Server.OrganizationInfo(Id(30), "Acme", At), FrontendJson.Http, typeof(Sdk.OrganizationInfo)),
        ["GET /api/organizations/{id}/members"] = (new Server.OrganizationDirectory(Id(30), [Member]), FrontendJson.Http, typeof(Sdk.OrganizationDirectory)),
        ["POST /api/organizations/{id}/members"] = (Member, FrontendJson.Http, typeof(Sdk.OrganizationMember)),
        ["GET /api/conversations"] = (new Server.Inbox([Entry], 1, 1), FrontendJson.Http, typeof(Sdk.Inbox)),
        ["GET, PATCH /api/conversations/{id}"] = (new Server.ConversationDetails(
            Id(20), Server.ConversationType.Group, Id(30), "Team", "About", Id(1), At, At.AddHours(1), 7,
            [new Server.ParticipantInfo(Id(1), "Ann", "https://example.com/ann.png", Server.Role.Owner, At)], Me), FrontendJson.Http, typeof(Sdk.ConversationDetails)),
        ["PUT /api/conversations/{id}/settings"] = (Me, FrontendJson.Http, typeof(Sdk.MyParticipation)),
        ["POST /api/conversations/{id}/read"] = (new Server.ReadState(Id(20), Id(1), 7, At, 0), FrontendJson.Http, typeof(Sdk.ReadState)),
        ["GET /api/conversations/{id}/messages"] = (new Server.MessagePage([Message], true), FrontendJson.Http, typeof(Sdk.MessagePage)),
        ["POST /api/conversations/{id}/messages"] = (Message, FrontendJson.Http, typeof(Sdk.ChatMessage)),
        ["GET /api/conversations/{id}/messages/{id}/receipts"] = (new Server.MessageReceipts(Id(10), 7, "read", 2, [Receipt], [Receipt]), FrontendJson.Http, typeof(Sdk.MessageReceipts)),
        ["GET /api/search"] = (new Server.SearchResult([Message], true, "cursor"), FrontendJson.Http, typeof(Sdk.SearchResult)),
        ["POST /api/attachments"] = (new Server.AttachmentInfo(Id(11), "photo.png", "image/png", 1234), FrontendJson.Http, typeof(Sdk.AttachmentInfo)),
        ["any failing request"] = (new ApiErrorResponse(new ApiError(Server.ChatErrorCodes.RateLimited, "Slow down.", "content", 3)), FrontendJson.Http, typeof(Sdk.ChatErrorEnvelope)),
        ["hub SendMessage, EditMessage, ..."] = (Message, FrontendJson.Hub, typeof(Sdk.ChatMessage)),
        ["hub MarkRead"] = (new Server.ReadState(Id(20), Id(1), 7, At, 0), FrontendJson.Hub, typeof(Sdk.ReadState)),
        ["hub Resume"] = (new ResumeResult([Push(new Server.ReadUpdatedEvent(Id(20), Id(2), 7, At)).Payload], true, 7, 42), FrontendJson.Hub, typeof(Sdk.ResumeResult)),
        ["hub SetPresence"] = (new PresenceAnswer(Server.PresenceStatus.Away), FrontendJson.Hub, typeof(Sdk.PresenceAnswer)),
    };

    /// <summary>Hub events by name; the SDK type is what its handlers (<c>OnMessageCreated</c>, ...) read.</summary>
    private static readonly Dictionary<string, (Server.UserEvent Event, Type SdkType)> Events = new()
    {
        [Server.UserEventTypes.MessageCreated] = (new Server.MessageCreatedEvent(Id(20), Message), typeof(Sdk.MessageEvent)),
        [Server.UserEventTypes.MessageUpdated] = (new Server.MessageUpdatedEvent(Id(20), Message), typeof(Sdk.MessageEvent)),
        [Server.UserEventTypes.MessageDeleted] = (new Server.MessageDeletedEvent(Id(20), Message), typeof(Sdk.MessageEvent)),
        [Server.UserEventTypes.ConversationCreated] = (new Server.ConversationCreatedEvent(Id(20), Entry), typeof(Sdk.ConversationEvent)),
        [Server.UserEventTypes.ConversationUpdated] = (new Server.ConversationUpdatedEvent(Id(20), Entry), typeof(Sdk.ConversationEvent)),
        [Server.UserEventTypes.ConversationRemoved] = (new Server.ConversationRemovedEvent(Id(20), "left"), typeof(Sdk.ConversationRemovedEvent)),
        [Server.UserEventTypes.ReadUpdated] = (new Server.ReadUpdatedEvent(Id(20), Id(2), 7, At), typeof(Sdk.ReadUpdatedEvent)),
        [Server.UserEventTypes.UnreadChanged] = (new Server.UnreadChangedEvent(Id(20), 1, 4, 2), typeof(Sdk.UnreadChangedEvent)),
        [Server.UserEventTypes.Typing] = (new Server.TypingEvent(Id(20), Id(2), "Bob", 5000), typeof(Sdk.TypingEvent)),
        [Server.UserEventTypes.Presence] = (new Server.PresenceEvent(Id(2), Server.PresenceStatus.Online, At), typeof(Sdk.PresenceEvent)),
    };

    /// <summary>What the SDK sends (REST bodies, the hub's SendMessage argument) and the frontend record that reads it.</summary>
    private static readonly Dictionary<string, (object Value, Type BodyType)> Requests = new()
    {
        ["POST /api/auth/register"] = (new Sdk.RegisterRequest("ann", "secret", "Ann", "ann@example.com"), typeof(RegisterBody)),
        ["POST /api/auth/login"] = (new Sdk.LoginRequest("ann", "secret"), typeof(LoginBody)),
        ["PATCH /api/me"] = (new Sdk.UpdateProfileRequest("Ann", "https://example.com/ann.png"), typeof(UpdateMeBody)),
        ["POST /api/organizations"] = (new Sdk.CreateOrganizationRequest("Acme"), typeof(CreateOrganizationBody)),
        ["POST /api/organizations/{id}/members"] = (new Sdk.AddMemberRequest("bob", Sdk.Role.Admin), typeof(AddMemberBody)),
        ["POST /api/conversations/direct"] = (new Sdk.OpenDirectRequest(Id(2), Id(30)), typeof(OpenDirectBody)),
        ["POST /api/conversations/group"] = (new Sdk.CreateGroupRequest(Id(30), "Team", [Id(2), Id(3)], "About"), typeof(CreateGroupBody)),
        ["PATCH /api/conversations/{id}"] = (new Sdk.UpdateConversationRequest("Team", "About"), typeof(UpdateConversationBody)),
        ["POST /api/conversations/{id}/participants"] = (new Sdk.AddParticipantsRequest([Id(2), Id(3)]), typeof(AddParticipantsBody)),
        ["PATCH /api/conversations/{id}/participants/{id}"] = (new Sdk.ChangeRoleRequest(Sdk.Role.Owner), typeof(SetRoleBody)),
        ["PUT /api/conversations/{id}/settings"] = (new Sdk.ParticipantSettingsRequest(true, false), typeof(SettingsBody)),
        ["POST /api/conversations/{id}/read"] = (new Sdk.MarkReadRequest(7), typeof(ReadBody)),
        ["POST /api/conversations/{id}/messages, hub SendMessage"] = (new Sdk.SendMessageRequest("client-1", "hello", [Id(11)], Id(12)), typeof(SendMessageBody)),
        ["PATCH /api/conversations/{id}/messages/{id}"] = (new Sdk.EditMessageRequest("hello again"), typeof(EditMessageBody)),
    };

    /// <summary>Server contracts that never reach a client as JSON of their own.</summary>
    private static readonly HashSet<Type> NeverSentToClients =
    [
        // Grain inputs the frontend builds from query strings, uploads and the request bodies above.
        typeof(Server.HistoryQuery), typeof(Server.SearchQuery), typeof(Server.AttachmentUpload), typeof(Server.RegisterRequest),
        typeof(Server.UpdateProfileRequest), typeof(Server.CreateGroupRequest), typeof(Server.UpdateConversationRequest),
        typeof(Server.ParticipantSettingsRequest), typeof(Server.SendMessageRequest),
        // Grain results the frontend unwraps: the message, the conversation, the bytes; the rate limit goes into headers.
        typeof(Server.SendMessageResult), typeof(Server.OpenDirectResult), typeof(Server.AttachmentContent), typeof(Server.RateLimitStatus),
        // Between grains, and between grains and frontends.
        typeof(Server.ConversationNotice), typeof(Server.MessageNotice), typeof(Server.ReadNotice), typeof(Server.DeliveredMark), typeof(Server.SessionInfo),
        typeof(Server.SessionRevokedEvent),
        // The user event log and the frontends' streams: positions reach clients inside each event, not as these records.
        typeof(Server.UserEventEnvelope), typeof(Server.UserEventBatch), typeof(Server.PositionedEvent), typeof(Server.EventReplay),
    ];

    /// <summary>SDK records built by the SDK itself (from status codes, headers, bytes, its own state), not read from JSON.</summary>
    private static readonly HashSet<Type> MadeByTheSdk =
    [
        typeof(Sdk.DirectConversationResult), typeof(Sdk.SendMessageResult), typeof(Sdk.AttachmentDownload), typeof(Sdk.RateLimitInfo),
        typeof(Sdk.ResyncRequiredEventArgs),
    ];

    public static TheoryData<string> AnswerNames => new(Answers.Keys);

    public static TheoryData<string> EventNames => new(Events.Keys);

    public static TheoryData<string> RequestNames => new(Requests.Keys);

    // ---- Helpers ----

    private static Guid Id(int n) => new($"00000000-0000-0000-0000-{n:D12}");

    private static OutgoingEvent Push(Server.UserEvent evt)
    {
        var positioned = evt is not (Server.TypingEvent or Server.PresenceEvent);
        return EventWire.Create(evt, positioned ? new Chat.Grains.EventPosition(3, 42) : null, EventJson);
    }

    /// <summary>The JSON options the frontend's host configures for REST and for the hub.</summary>
    private static (JsonSerializerOptions Http, JsonSerializerOptions Hub) FrontendJsonOptions()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.AddChatFrontend();
        using var services = builder.Services.BuildServiceProvider();
        return (services.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions,
            services.GetRequiredService<IOptions<JsonHubProtocolOptions>>().Value.PayloadSerializerOptions);
    }

    private static bool IsRequestBody(Type type) => type.GetMethod("BindAsync", BindingFlags.Public | BindingFlags.Static) is not null;

    /// <summary>Public, concrete record classes (the compiler gives records a <c>&lt;Clone&gt;$</c> method) under a namespace.</summary>
    private static IEnumerable<Type> PublicRecords(Assembly assembly, string ns) =>
        assembly.GetExportedTypes().Where(t => t.Namespace?.StartsWith(ns, StringComparison.Ordinal) == true && !t.IsAbstract && t.GetMethod("<Clone>$") is not null);

    /// <summary>The types and, recursively, the types of their properties (element types of lists included).</summary>
    private static HashSet<Type> Reachable(IEnumerable<Type> roots)
    {
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>(roots);
        while (pending.TryPop(out var type))
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (!seen.Add(type))
            {
                continue;
            }

            foreach (var inner in type.GetGenericArguments().Concat(type.IsArray ? [type.GetElementType()!] : []))
            {
                pending.Push(inner);
            }

            if (type.Namespace?.StartsWith("Chat.", StringComparison.Ordinal) == true)
            {
                foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    pending.Push(property.PropertyType);
                }
            }
        }

        return seen;
    }

    private static Dictionary<string, string> Constants(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);

    private static JsonElement Without(JsonElement json, string property)
    {
        var copy = System.Text.Json.Nodes.JsonNode.Parse(json.GetRawText())!.AsObject();
        copy.Remove(property);
        return JsonSerializer.SerializeToElement(copy);
    }

    /// <summary>Fails listing every path where what <paramref name="reader"/> read, written back, differs from what was sent.</summary>
    private static void AssertSameJson(JsonElement sent, JsonElement readBack, string what, string reader)
    {
        var differences = new List<string>();
        Compare(sent, readBack, "$", reader, differences);
        Assert.True(differences.Count == 0, $"{what} loses or changes fields:\n  " + string.Join("\n  ", differences));
    }

    private static void Compare(JsonElement sent, JsonElement back, string path, string reader, List<string> differences)
    {
        if (sent.ValueKind != back.ValueKind)
        {
            differences.Add($"{path}: sent {sent.GetRawText()}, read back {back.GetRawText()}");
            return;
        }

        switch (sent.ValueKind)
        {
            case JsonValueKind.Object:
                var backProperties = back.EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
                foreach (var property in sent.EnumerateObject())
                {
                    if (backProperties.Remove(property.Name, out var value))
                    {
                        Compare(property.Value, value, $"{path}.{property.Name}", reader, differences);
                    }
                    else
                    {
                        differences.Add($"{path}.{property.Name}: sent {property.Value.GetRawText()}, {reader} has no such field");
                    }
                }

                differences.AddRange(backProperties.Keys.Select(name => $"{path}.{name}: {reader} has it, but it is never sent"));
                break;
            case JsonValueKind.Array:
                if (sent.GetArrayLength() != back.GetArrayLength())
                {
                    differences.Add($"{path}: sent {sent.GetArrayLength()} items, read back {back.GetArrayLength()}");
                    return;
                }

                var index = 0;
                foreach (var (item, backItem) in sent.EnumerateArray().Zip(back.EnumerateArray()))
                {
                    Compare(item, backItem, $"{path}[{index++}]", reader, differences);
                }

                break;
            case JsonValueKind.String when sent.GetString() != back.GetString():
            case JsonValueKind.Number when sent.GetRawText() != back.GetRawText():
                differences.Add($"{path}: sent {sent.GetRawText()}, read back {back.GetRawText()}");
                break;
        }
    }
}
