namespace Chat.Runtime;

/// <summary>Anything that has a <see cref="GrainId"/>: grain references and grains.</summary>
public interface IAddressable;

/// <summary>Marker for grain interfaces. Use one of the keyed sub-interfaces.</summary>
public interface IGrain : IAddressable;

/// <summary>A grain keyed by a <see cref="Guid"/>.</summary>
public interface IGrainWithGuidKey : IGrain;

/// <summary>A grain keyed by a <see cref="long"/>.</summary>
public interface IGrainWithIntegerKey : IGrain;

/// <summary>A grain keyed by a string.</summary>
public interface IGrainWithStringKey : IGrain;

/// <summary>A grain keyed by a <see cref="Guid"/> plus a string extension.</summary>
public interface IGrainWithGuidCompoundKey : IGrain;

/// <summary>A grain keyed by a <see cref="long"/> plus a string extension.</summary>
public interface IGrainWithIntegerCompoundKey : IGrain;

/// <summary>Names the grain type of an interface (the first half of its <see cref="GrainId"/>).
/// Without it the interface's name is used. Keep it stable: it is part of persisted keys.</summary>
[AttributeUsage(AttributeTargets.Interface)]
public sealed class GrainTypeAttribute(string name) : Attribute
{
    /// <summary>The grain type name.</summary>
    public string Name { get; } = name;
}

/// <summary>Requests of this grain class may interleave at await points (still one thread at a time).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ReentrantAttribute : Attribute;

/// <summary>This interface method may run while other requests are running on the activation.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AlwaysInterleaveAttribute : Attribute;

/// <summary>This method does not change state: read-only requests may run alongside each other
/// (never alongside a non-read-only request).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadOnlyAttribute : Attribute;

/// <summary>Fire and forget: the caller's task completes once the request is sent, no response travels back.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OneWayAttribute : Attribute;

/// <summary>Overrides the call timeout for one interface method.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ResponseTimeoutAttribute(string timeout) : Attribute
{
    /// <summary>The timeout, parsed with <see cref="TimeSpan.Parse(string)"/>.</summary>
    public TimeSpan Timeout { get; } = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Overrides the idle collection age for a grain class.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class CollectionAgeLimitAttribute : Attribute
{
    /// <summary>Minutes of idleness after which the activation is collected.</summary>
    public double Minutes { get; init; }

    /// <summary>The age as a <see cref="TimeSpan"/>.</summary>
    public TimeSpan Age => TimeSpan.FromMinutes(Minutes);
}

/// <summary>Marks a type whose instances never change, so local calls pass them without copying.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct)]
public sealed class ImmutableAttribute : Attribute;
