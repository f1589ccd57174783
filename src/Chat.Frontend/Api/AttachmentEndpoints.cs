using Chat.Frontend.Auth;
using Chat.Grains;

namespace Chat.Frontend.Api;

/// <summary>Uploads (multipart <c>file</c>; the domain sniffs the type and checks sizes), downloads and search.</summary>
internal static class AttachmentEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/attachments", async (HttpContext context, IClusterClient cluster) =>
        {
            if (!context.Request.HasFormContentType)
            {
                throw ChatException.Validation("file", "Upload the file as multipart/form-data in the field 'file'.");
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var file = form.Files.GetFile("file") ?? throw ChatException.Validation("file", "The multipart field 'file' is missing.");
            var content = new byte[file.Length];
            await using (var stream = file.OpenReadStream())
            {
                await stream.ReadExactlyAsync(content, context.RequestAborted);
            }

            var id = Guid.NewGuid();
            var info = await cluster.GetGrain<IAttachmentGrain>(id).Upload(
                context.User.UserId(), new AttachmentUpload(file.FileName, file.ContentType, content));
            return Results.Created($"/api/attachments/{info.Id}", info);
        });

        api.MapGet("/attachments/{id:guid}", async (Guid id, HttpContext context, IClusterClient cluster) =>
        {
            var download = await cluster.GetGrain<IAttachmentGrain>(id).Download(context.User.UserId());
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "private, no-store";
            // Only sniffed images are shown inline; documents are always downloaded.
            var inline = download.Info.ContentType.StartsWith("image/", StringComparison.Ordinal);
            return Results.File(download.Content.ToArray(), download.Info.ContentType, inline ? null : download.Info.Name);
        });

        api.MapGet("/search", async (string? q, Guid? conversationId, string? before, int? limit, HttpContext context, IClusterClient cluster) =>
        {
            var query = Required.Text(q, "q");
            return Results.Ok(await cluster.GetGrain<IUserGrain>(context.User.UserId()).Search(new SearchQuery(query, conversationId, before, limit)));
        });
    }
}
