using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace Chat.Frontend.Hosting;

/// <summary>
/// The web UI (built from <c>ClientApp/</c> into <c>wwwroot/</c> by npm): static files, and <c>index.html</c>
/// for every other GET outside <c>/api</c>, <c>/hubs</c>, <c>/health</c> and <c>/metrics</c> (those keep their
/// own 404s). The page is served with a strict Content-Security-Policy: scripts only from this origin,
/// so even text that slipped into the DOM as markup could not run.
/// </summary>
internal static class WebUiEndpoints
{
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data: https:; " +
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    private static readonly string[] ReservedPrefixes = ["/api", "/hubs", "/health", "/metrics"];

    public static WebApplication MapChatWebUi(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            ContentTypeProvider = new FileExtensionContentTypeProvider(),
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                if (context.Context.Request.Path.StartsWithSegments("/assets"))
                {
                    // Vite puts a content hash in every asset name.
                    headers.CacheControl = "public, max-age=31536000, immutable";
                }
                else
                {
                    headers.CacheControl = "no-cache";
                    if (context.File.Name.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
                    {
                        headers.ContentSecurityPolicy = ContentSecurityPolicy;
                        headers[HeaderNames.XFrameOptions] = "DENY";
                    }
                }
            },
        });

        // Lowest priority, and only for paths without a file extension: the single-page app.
        app.MapFallback(async (HttpContext context, IWebHostEnvironment environment) =>
        {
            var request = context.Request;
            if (ReservedPrefixes.Any(prefix => request.Path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
                || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            var index = environment.WebRootFileProvider.GetFileInfo("index.html");
            var headers = context.Response.Headers;
            headers.CacheControl = "no-cache";
            headers.XContentTypeOptions = "nosniff";
            if (!index.Exists)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(
                    "The web UI is not built. ./chat up builds it (or: cd src/Chat.Frontend/ClientApp && npm ci && npm run build).");
                return;
            }

            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers[HeaderNames.XFrameOptions] = "DENY";
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.SendFileAsync(index);
        });
        return app;
    }
}
