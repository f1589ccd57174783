using System.Text.Json;
using Chat.Grains;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Chat.Frontend.Api;

/// <summary>Reading bodies the framework cannot bind for us (optional bodies).</summary>
internal static class ApiJson
{
    /// <summary>For the request records' <c>BindAsync</c>.</summary>
    public static async ValueTask<T?> BindAsync<T>(HttpContext context)
        where T : class => await ReadOptionalAsync<T>(context);

    /// <summary>The body as <typeparamref name="T"/>, or null when there is none.</summary>
    public static async Task<T?> ReadOptionalAsync<T>(HttpContext context)
        where T : class
    {
        var request = context.Request;
        if (request.ContentLength is 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count == 0))
        {
            return null;
        }

        if (!request.HasJsonContentType())
        {
            throw ChatException.Validation("body", "The request body must be JSON (Content-Type: application/json).");
        }

        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: context.RequestAborted);
            return document.RootElement.ValueKind == JsonValueKind.Null ? null : document.RootElement.Deserialize<T>(options);
        }
        catch (JsonException exception)
        {
            // As the framework reports its own binding failures, so the error names the field.
            throw new BadHttpRequestException("The request body is not valid JSON.", StatusCodes.Status400BadRequest, exception);
        }
    }
}
