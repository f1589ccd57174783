using Microsoft.Extensions.Logging;

namespace Chat.Runtime.Diagnostics;

/// <summary>The runtime's log messages (source-generated).</summary>
internal sealed partial class RuntimeLog(ILogger<RuntimeLog> logger)
{
    private readonly ILogger _logger = logger;

    [LoggerMessage(1001, LogLevel.Debug, "Activated {GrainId}")]
    public partial void Activated(GrainId grainId);

    [LoggerMessage(1002, LogLevel.Debug, "Deactivated {GrainId} ({Reason})")]
    public partial void Deactivated(GrainId grainId, string reason);

    [LoggerMessage(1003, LogLevel.Warning, "Activation of {GrainId} failed")]
    public partial void ActivationFailed(GrainId grainId, Exception exception);

    [LoggerMessage(1004, LogLevel.Warning, "OnDeactivateAsync of {GrainId} failed")]
    public partial void DeactivationFailed(GrainId grainId, Exception exception);

    [LoggerMessage(1005, LogLevel.Error, "A continuation of {GrainId} threw")]
    public partial void UnhandledContinuationException(GrainId grainId, Exception exception);

    [LoggerMessage(1006, LogLevel.Warning, "A timer callback of {GrainId} failed")]
    public partial void TimerCallbackFailed(GrainId grainId, Exception exception);

    [LoggerMessage(1007, LogLevel.Information, "Silo {SiloName} started (service {ServiceId}, cluster {ClusterId})")]
    public partial void SiloStarted(string siloName, string serviceId, string clusterId);

    [LoggerMessage(1008, LogLevel.Information, "Silo {SiloName} stopping: deactivating {Count} activations")]
    public partial void SiloStopping(string siloName, int count);

    [LoggerMessage(1009, LogLevel.Information, "Applied {Count} {Component} migrations")]
    public partial void MigrationsApplied(int count, string component);

    [LoggerMessage(1010, LogLevel.Warning, "One-way call {Request} failed")]
    public partial void OneWayCallFailed(string request, Exception exception);

    [LoggerMessage(1012, LogLevel.Warning, "Could not {Step} while stopping; continuing")]
    public partial void StopStepFailed(string step, Exception exception);

    [LoggerMessage(1013, LogLevel.Warning, "Handing {GrainId} over to its new owner: its activation here was still busy after {Timeout}")]
    public partial void ReleaseTimedOut(GrainId grainId, TimeSpan timeout);

    [LoggerMessage(1014, LogLevel.Warning, "Activating {GrainId} without word from every previous owner (after {Timeout}); storage versions still guard its state")]
    public partial void HandoffIncomplete(GrainId grainId, TimeSpan timeout, Exception exception);

    [LoggerMessage(1011, LogLevel.Warning, "{Count} activations were still alive when the silo stopped")]
    public partial void ActivationsLeftAtShutdown(int count);
}
