namespace Chat.Frontend.Api;

/// <summary>The REST API under <c>/api</c>. Routes arrive with later issues; unknown ones answer 404.</summary>
internal static class ApiEndpoints
{
    public static void MapChatApi(this IEndpointRouteBuilder endpoints)
    {
        // Lowest priority: matches only when no real /api route does.
        endpoints.MapFallback("/api/{**rest}", (HttpContext context) =>
            ApiResults.Error(
                StatusCodes.Status404NotFound,
                ApiErrorCodes.NotFound,
                $"No API route matches {context.Request.Method} {context.Request.Path}."));
    }
}
