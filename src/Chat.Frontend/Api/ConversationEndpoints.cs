using Chat.Frontend.Auth;
using Chat.Grains;

namespace Chat.Frontend.Api;

/// <summary>The inbox, conversations, participants, settings and read positions.</summary>
internal static class ConversationEndpoints
{
    public static void Map(RouteGroupBuilder conversations)
    {
        conversations.MapGet("", async (HttpContext context, IClusterClient cluster) =>
            Results.Ok(await cluster.GetGrain<IUserGrain>(context.User.UserId()).GetInbox()));

        conversations.MapPost("/direct", async (OpenDirectBody? body, HttpContext context, IClusterClient cluster) =>
        {
            body = Required.Body(body);
            var other = Required.Value(body.UserId, "userId");
            var result = await cluster.OpenDirectConversationAsync(context.User.UserId(), other, body.OrganizationId);
            return result.Created
                ? Results.Created($"/api/conversations/{result.Conversation.Id}", result.Conversation)
                : Results.Ok(result.Conversation);
        });

        conversations.MapPost("/group", async (CreateGroupBody? body, HttpContext context, IClusterClient cluster) =>
        {
            body = Required.Body(body);
            var organizationId = Required.Value(body.OrganizationId, "organizationId");
            var name = Required.Text(body.Name, "name");
            var id = Guid.NewGuid();
            var created = await cluster.GetGrain<IConversationGrain>(id).CreateGroup(
                context.User.UserId(), new CreateGroupRequest(organizationId, name, [.. body.ParticipantIds ?? []], body.Description));
            return Results.Created($"/api/conversations/{created.Id}", created);
        });

        conversations.MapGet("/{id:guid}", async (Guid id, HttpContext context, IClusterClient cluster) =>
            Results.Ok(await Conversation(cluster, id).GetDetails(context.User.UserId())));

        conversations.MapPatch("/{id:guid}", async (Guid id, UpdateConversationBody? body, HttpContext context, IClusterClient cluster) =>
        {
            body = Required.Body(body);
            return Results.Ok(await Conversation(cluster, id).Update(context.User.UserId(), new UpdateConversationRequest(body.Name, body.Description)));
        });

        conversations.MapDelete("/{id:guid}", async (Guid id, HttpContext context, IClusterClient cluster) =>
        {
            await Conversation(cluster, id).Delete(context.User.UserId());
            return Results.NoContent();
        });

        conversations.MapPost("/{id:guid}/participants", async (Guid id, AddParticipantsBody? body, HttpContext context, IClusterClient cluster) =>
        {
            body = Required.Body(body);
            if (body.UserIds is not { Length: > 0 } userIds)
            {
                throw ChatException.Validation("userIds", "userIds lists at least one user.");
            }

            return Results.Ok(await Conversation(cluster, id).AddParticipants(context.User.UserId(), [.. userIds]));
        });

        conversations.MapDelete("/{id:guid}/participants/{userId:guid}", async (Guid id, Guid userId, HttpContext context, IClusterClient cluster) =>
        {
            await Conversation(cluster, id).RemoveParticipant(context.User.UserId(), userId);
            return Results.NoContent();
        });

        conversations.MapPatch("/{id:guid}/participants/{userId:guid}", async (Guid id, Guid userId, SetRoleBody? body, HttpContext context, IClusterClient cluster) =>
        {
            body = Required.Body(body);
            return Results.Ok(await Conversation(cluster, id).SetRole(context.User.UserId(), userId, Required.Role(body.Role)));
        });

        conversations.MapPut("/{id:guid}/settings", async (Guid id, SettingsBody? body, HttpContext context, IClusterClient cluster) =>
        {
            body = Required.Body(body);
            return Results.Ok(await Conversation(cluster, id).UpdateSettings(context.User.UserId(), new ParticipantSettingsRequest(body.IsStarred, body.IsMuted)));
        });

        conversations.MapPost("/{id:guid}/read", async (Guid id, HttpContext context, IClusterClient cluster) =>
        {
            // The body is optional ({} or none: up to the latest message).
            var body = await ApiJson.ReadOptionalAsync<ReadBody>(context);
            return Results.Ok(await Conversation(cluster, id).MarkRead(context.User.UserId(), body?.Seq));
        });
    }

    private static IConversationGrain Conversation(IClusterClient cluster, Guid id) => cluster.GetGrain<IConversationGrain>(id);
}
