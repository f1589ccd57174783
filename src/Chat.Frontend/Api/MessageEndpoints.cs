using Chat.Frontend.Hosting;
using Chat.Frontend.Auth;
using Chat.Grains;

namespace Chat.Frontend.Api;

/// <summary>History, sends (with rate limit headers), edits, deletes, reactions and receipts.</summary>
internal static class MessageEndpoints
{
    public static void Map(RouteGroupBuilder messages)
    {
        messages.MapGet("", async (Guid id, long? before, long? after, int? limit, HttpContext context, IClusterClient cluster) =>
            Results.Ok(await Conversation(cluster, id).GetMessages(context.User.UserId(), new HistoryQuery(before, after, limit))));

        messages.MapPost("", async (Guid id, SendMessageBody? body, HttpContext context, IClusterClient cluster) =>
        {
            body = Required.Body(body);
            var userId = context.User.UserId();
            var result = await SendAsync(cluster, context, id, userId, body.ToRequest());
            return result.Created
                ? Results.Created($"/api/conversations/{id}/messages/{result.Message.Id}", result.Message)
                : Results.Ok(result.Message);
        });

        messages.MapPatch("/{messageId:guid}", async (Guid id, Guid messageId, EditMessageBody? body, HttpContext context, IClusterClient cluster) =>
        {
            body = Required.Body(body);
            var content = body.Content ?? throw ChatException.Validation("content", "content is required.");
            return Results.Ok(await Conversation(cluster, id).EditMessage(context.User.UserId(), messageId, content));
        });

        messages.MapDelete("/{messageId:guid}", async (Guid id, Guid messageId, HttpContext context, IClusterClient cluster) =>
            Results.Ok(await Conversation(cluster, id).DeleteMessage(context.User.UserId(), messageId)));

        messages.MapPut("/{messageId:guid}/reactions/{emoji}", async (Guid id, Guid messageId, string emoji, HttpContext context, IClusterClient cluster) =>
            Results.Ok(await Conversation(cluster, id).AddReaction(context.User.UserId(), messageId, emoji)));

        messages.MapDelete("/{messageId:guid}/reactions/{emoji}", async (Guid id, Guid messageId, string emoji, HttpContext context, IClusterClient cluster) =>
            Results.Ok(await Conversation(cluster, id).RemoveReaction(context.User.UserId(), messageId, emoji)));

        messages.MapGet("/{messageId:guid}/receipts", async (Guid id, Guid messageId, HttpContext context, IClusterClient cluster) =>
            Results.Ok(await Conversation(cluster, id).GetReceipts(context.User.UserId(), messageId)));
    }

    /// <summary>
    /// Sends through the conversation grain (whose rate limit is counted by the user's grain, whichever
    /// frontend or transport is used) and sets the X-RateLimit headers, also on a 429.
    /// </summary>
    private static async Task<SendMessageResult> SendAsync(IClusterClient cluster, HttpContext context, Guid conversationId, Guid userId, SendMessageRequest request)
    {
        var user = cluster.GetGrain<IUserGrain>(userId);
        try
        {
            // Sends are idempotent (clientMessageId), so one whose silo died is simply sent again, even after a timeout.
            var result = await GrainCallRetry.RunAsync(() => Conversation(cluster, conversationId).SendMessage(userId, request), GrainCallRetry.SendBudget, retryTimeouts: true);
            if (result.Created)
            {
                context.RequestServices.GetRequiredService<FrontendMetrics>().MessageAccepted("rest");
            }

            RateLimitHeaders.Apply(context.Response, result.RateLimit ?? await user.GetRateLimit());
            return result;
        }
        catch (ChatException exception) when (exception.Code == ChatErrorCodes.RateLimited)
        {
            context.Items[RateLimitHeaders.ItemKey] = await user.GetRateLimit();
            throw;
        }
    }

    private static IConversationGrain Conversation(IClusterClient cluster, Guid id) => cluster.GetGrain<IConversationGrain>(id);
}
