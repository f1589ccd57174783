namespace Chat.Runtime;

/// <summary>Why an activation is going away.</summary>
public enum DeactivationReasonCode
{
    /// <summary>Unused for longer than its collection age.</summary>
    ActivationIdle,

    /// <summary>The grain asked (<c>DeactivateOnIdle</c>).</summary>
    ApplicationRequested,

    /// <summary>The silo is shutting down.</summary>
    ShuttingDown,

    /// <summary>A storage write conflicted: the in-memory state is stale.</summary>
    InconsistentState,

    /// <summary>Activation failed.</summary>
    ActivationFailed,

    /// <summary>The grain is now owned by another silo.</summary>
    PlacementChanged,
}

/// <summary>Why an activation is going away, with a description for logs.</summary>
public readonly record struct DeactivationReason(DeactivationReasonCode Code, string Description)
{
    /// <inheritdoc />
    public override string ToString() => $"{Code}: {Description}";
}
