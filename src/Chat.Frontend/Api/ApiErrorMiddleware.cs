using System.Globalization;
using System.Text.Json;
using Chat.Frontend.Hosting;
using Chat.Grains;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Chat.Frontend.Api;

/// <summary>
/// The outermost layer of the API: every failure under <c>/api</c> — domain errors, bad JSON, oversized
/// bodies, an unreachable cluster, bugs — leaves as the SPEC section 7 error object, and bodies over
/// the configured maximum are refused before anyone reads them.
/// </summary>
internal sealed class ApiErrorMiddleware(RequestDelegate next, IOptions<FrontendOptions> options, IOptions<JsonOptions> json, ILogger<ApiErrorMiddleware> logger)
{
    private readonly JsonSerializerOptions _json = json.Value.SerializerOptions;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/api"))
        {
            await next(context);
            return;
        }

        var limit = context.Request.Path.StartsWithSegments("/api/attachments") && HttpMethods.IsPost(context.Request.Method)
            ? options.Value.MaxUploadBodyBytes
            : options.Value.MaxRequestBodyBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        if (context.Request.ContentLength > limit)
        {
            await WriteAsync(context, ErrorMapper.PayloadTooLarge());
            return;
        }

        try
        {
            await next(context);
            if (context.Response is { HasStarted: false, StatusCode: >= 400 } response && response.ContentType is null)
            {
                // A failure the framework answered without a body (e.g. a body over the limit while binding).
                await WriteAsync(context, ErrorMapper.FromStatus(response.StatusCode));
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody reads an answer.
        }
        catch (Exception exception)
        {
            var error = ErrorMapper.From(exception);
            if (ErrorMapper.IsServerFault(error))
            {
                FrontendLog.RequestFailed(logger, context.Request.Method, context.Request.Path.Value ?? "", error.Error.Code, exception);
            }

            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }

            await WriteAsync(context, error);
        }
    }

    private async Task WriteAsync(HttpContext context, MappedError error)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = error.Status;
        if (error.Error.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        if (context.Items.TryGetValue(RateLimitHeaders.ItemKey, out var status) && status is RateLimitStatus rateLimit)
        {
            RateLimitHeaders.Apply(response, rateLimit);
        }

        response.Headers.CacheControl = "no-store";
        await response.WriteAsJsonAsync(new ApiErrorResponse(error.Error), _json, contentType: "application/json; charset=utf-8");
    }
}

/// <summary>The <c>X-RateLimit-*</c> headers of message sends.</summary>
internal static class RateLimitHeaders
{
    /// <summary>Where an endpoint leaves the rate limit state for the error path.</summary>
    public const string ItemKey = "chat.rateLimit";

    public static void Apply(HttpResponse response, RateLimitStatus status)
    {
        response.Headers["X-RateLimit-Limit"] = status.Limit.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-RateLimit-Remaining"] = Math.Max(0, status.Remaining).ToString(CultureInfo.InvariantCulture);
        response.Headers["X-RateLimit-Reset"] = status.ResetAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
    }
}
