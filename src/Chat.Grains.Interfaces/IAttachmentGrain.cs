
namespace Chat.Grains;

/// <summary>An uploaded file (key: attachment id, chosen by the uploader's frontend).</summary>
[Alias("attachment")]
public interface IAttachmentGrain : IGrainWithGuidKey
{
    /// <summary>Stores the file after sniffing its type and checking its size.</summary>
    Task<AttachmentInfo> Upload(Guid userId, AttachmentUpload upload);

    /// <summary>
    /// The file, for its uploader before it is sent, and afterwards for active participants of a
    /// conversation whose message references it. NOT_PARTICIPANT for others when it was sent in a
    /// conversation, NOT_FOUND otherwise.
    /// </summary>
    [ReadOnly]
    Task<AttachmentContent> Download(Guid userId);
}
