using System.ComponentModel.DataAnnotations;

namespace Chat.ServiceDefaults.Cluster;

/// <summary>
/// Which Orleans cluster a host belongs to, shared by silos and the frontends' cluster clients.
/// Section <c>Chat:Silo</c> (silos read their ports from the same section).
/// </summary>
public class ChatClusterOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Silo";

    /// <summary>The service (Orleans' ServiceId: part of every persisted grain key). Default <c>chat</c>.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.-]{1,100}$", ErrorMessage = "Chat:Silo:ServiceId must be 1-100 letters, digits, '_', '.' or '-'.")]
    public string ServiceId { get; set; } = "chat";

    /// <summary>The cluster (Orleans' ClusterId): silos and clients with the same id form one cluster. Default <c>dev</c>.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.-]{1,100}$", ErrorMessage = "Chat:Silo:ClusterId must be 1-100 letters, digits, '_', '.' or '-'.")]
    public string ClusterId { get; set; } = "dev";
}
