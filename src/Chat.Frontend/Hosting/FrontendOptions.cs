using Microsoft.Extensions.Options;

namespace Chat.Frontend.Hosting;

/// <summary>This frontend's identity and limits (section <c>Chat:Frontend</c>).</summary>
public sealed class FrontendOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "Chat:Frontend";

    /// <summary>Name shown in logs and status; defaults to <c>frontend-&lt;pid&gt;</c>.</summary>
    public string Name { get; set; } = $"frontend-{Environment.ProcessId}";

    /// <summary>Largest request body of the JSON API in bytes (413 PAYLOAD_TOO_LARGE above). Default 1 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Largest attachment upload request in bytes. Default 11 MiB: files up to the domain's limit (10 MB)
    /// plus multipart overhead reach the domain, which answers FILE_TOO_LARGE just above its limit.
    /// </summary>
    public long MaxUploadBodyBytes { get; set; } = 11L * 1024 * 1024;

    /// <summary>How long a bearer token is valid after login or registration. Default 30 days.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long events for a new hub connection are held while the client may still call <c>Resume</c>
    /// (then they are pushed anyway). Default 2 s.
    /// </summary>
    public TimeSpan ResumeWindow { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Pause after a <c>Resume</c> answer before live events are pushed, so they reach the client after the
    /// answer. Default 100 ms.
    /// </summary>
    public TimeSpan ResumeSettleDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often this frontend renews its presence leases in the user grains. Default 30 s.</summary>
    public TimeSpan PresenceRenewInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often this frontend checks that its event stream subscription still exists (Orleans drops a
    /// client's subscription for good when one delivery to it fails) and re-creates it. Default 5 s.
    /// </summary>
    public TimeSpan SubscriptionCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time given to clients to hear "reconnect" at shutdown before connections are closed. Default 2 s.</summary>
    public TimeSpan ShutdownNoticeTimeout { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>Checks <see cref="FrontendOptions"/> at start; each message names the option.</summary>
internal sealed class FrontendOptionsValidator : IValidateOptions<FrontendOptions>
{
    public ValidateOptionsResult Validate(string? name, FrontendOptions o)
    {
        var failures = new List<string>();
        void Require(bool ok, string option, string rule)
        {
            if (!ok)
            {
                failures.Add($"{FrontendOptions.SectionName}:{option} {rule}.");
            }
        }

        Require(!string.IsNullOrWhiteSpace(o.Name) && o.Name.Length <= 100, nameof(o.Name), "must have 1 to 100 characters");
        Require(o.MaxRequestBodyBytes >= 1024, nameof(o.MaxRequestBodyBytes), "must be at least 1024");
        Require(o.MaxUploadBodyBytes >= 1024, nameof(o.MaxUploadBodyBytes), "must be at least 1024");
        Require(o.TokenLifetime >= TimeSpan.FromMinutes(1), nameof(o.TokenLifetime), "must be at least one minute");
        Require(o.ResumeWindow >= TimeSpan.Zero && o.ResumeWindow <= TimeSpan.FromMinutes(1), nameof(o.ResumeWindow), "must be between 0 and 1 minute");
        Require(o.ResumeSettleDelay >= TimeSpan.Zero && o.ResumeSettleDelay <= TimeSpan.FromSeconds(10), nameof(o.ResumeSettleDelay), "must be between 0 and 10 seconds");
        Require(o.PresenceRenewInterval > TimeSpan.Zero, nameof(o.PresenceRenewInterval), "must be positive");
        Require(o.SubscriptionCheckInterval > TimeSpan.Zero, nameof(o.SubscriptionCheckInterval), "must be positive");
        Require(o.ShutdownNoticeTimeout >= TimeSpan.Zero, nameof(o.ShutdownNoticeTimeout), "must not be negative");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
