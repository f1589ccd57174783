namespace Chat.Runtime;

/// <summary>The call did not complete within its timeout. The request may or may not have run.</summary>
public sealed class GrainCallTimeoutException(string message) : TimeoutException(message);

/// <summary>
/// A storage write found a different version than the activation held: another activation (or
/// process) wrote in between. The activation that saw it is deactivated; retry the call.
/// </summary>
public sealed class InconsistentStateException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InconsistentStateException(string message, string? storedEtag = null, string? currentEtag = null)
        : base(message)
    {
        StoredEtag = storedEtag;
        CurrentEtag = currentEtag;
    }

    /// <summary>The version found in storage, when known.</summary>
    public string? StoredEtag { get; }

    /// <summary>The version the activation held.</summary>
    public string? CurrentEtag { get; }
}

/// <summary>
/// The silo that owns (or was about to run) the call is unavailable: dead, shutting down or
/// unreachable. Retryable: the next call is routed to the current owner.
/// </summary>
public sealed class SiloUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>No grain class implements the requested grain type on this silo.</summary>
public sealed class GrainTypeNotFoundException(string message) : Exception(message);
