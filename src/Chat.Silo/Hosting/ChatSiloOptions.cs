using System.ComponentModel.DataAnnotations;
using System.Net;
using Chat.ServiceDefaults.Cluster;

namespace Chat.Silo.Hosting;

/// <summary>This silo: its name and its two Orleans ports. Section <c>Chat:Silo</c>.</summary>
public sealed class ChatSiloOptions : ChatClusterOptions, IValidatableObject
{
    /// <summary>This silo's name, for logs, status and the membership table. Default: machine name and process id.</summary>
    [Required]
    public string Name { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Port other silos reach this one on. Default 11111.</summary>
    [Range(1, 65535, ErrorMessage = "Chat:Silo:SiloPort must be between 1 and 65535.")]
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port cluster clients (frontends) reach this silo on. Default 30000.</summary>
    [Range(1, 65535, ErrorMessage = "Chat:Silo:GatewayPort must be between 1 and 65535.")]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// The address written to the membership table, where other silos and clients connect (the
    /// silo listens on every interface). Default 127.0.0.1; in containers the pod's IP.
    /// </summary>
    [Required]
    public string AdvertisedIPAddress { get; set; } = "127.0.0.1";

    /// <summary>Run under Kubernetes with <c>Microsoft.Orleans.Hosting.Kubernetes</c> (pod labels, dead pods' silos removed). Default false.</summary>
    public bool Kubernetes { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IPAddress.TryParse(AdvertisedIPAddress, out _))
        {
            yield return new ValidationResult($"Chat:Silo:AdvertisedIPAddress must be an IP address (got '{AdvertisedIPAddress}').");
        }

        if (SiloPort == GatewayPort)
        {
            yield return new ValidationResult("Chat:Silo:SiloPort and Chat:Silo:GatewayPort must differ.");
        }
    }
}

/// <summary>How operators reach this silo's HTTP side. Section <c>Chat:Cluster</c>.</summary>
public sealed class SiloHttpOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Cluster";

    /// <summary>This silo's HTTP base URL (health, metrics, status, dashboard), shown in <c>/status</c>. Optional.</summary>
    [Url(ErrorMessage = "Chat:Cluster:HttpUrl must be an absolute URL.")]
    public string? HttpUrl { get; set; }
}
