using System.ComponentModel;

namespace Chat.Runtime.Invocation;

/// <summary>Sends requests on behalf of grain references: inside a silo or from a cluster client.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IGrainCallInvoker
{
    /// <summary>Addresses, copies and routes the request; its outcome arrives on the request itself.</summary>
    void Send(GrainReference target, GrainRequest request);

    /// <summary>The factory that made the reference (used to rebind references after deserialisation).</summary>
    IGrainFactory GrainFactory { get; }
}

/// <summary>
/// Base class of the generated proxies that implement grain interfaces. Creating one performs no
/// I/O and activates nothing. Two references are equal when they name the same grain through the
/// same interface.
/// </summary>
public abstract class GrainReference : IAddressable, IEquatable<GrainReference>
{
    /// <summary>Used by generated proxies.</summary>
    protected GrainReference(GrainId grainId, IGrainCallInvoker invoker)
    {
        GrainId = grainId;
        Invoker = invoker;
    }

    /// <summary>The grain this reference addresses.</summary>
    public GrainId GrainId { get; }

    /// <summary>The grain interface this reference implements.</summary>
    public abstract Type InterfaceType { get; }

    /// <summary>The sender of this reference's requests.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public IGrainCallInvoker Invoker { get; }

    /// <summary>Sends a request (used by generated code).</summary>
    protected void Send(GrainRequest request) => Invoker.Send(this, request);

    /// <inheritdoc />
    public bool Equals(GrainReference? other) => other is not null && GrainId == other.GrainId && InterfaceType == other.InterfaceType;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as GrainReference);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(GrainId, InterfaceType);

    /// <inheritdoc />
    public override string ToString() => $"{InterfaceType.Name}:{GrainId}";
}

/// <summary>Written by the code generator on the assembly that declares grain interfaces.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class GrainProxyAttribute(Type interfaceType, Type proxyType, Type requestFactoryType) : Attribute
{
    /// <summary>The grain interface.</summary>
    public Type InterfaceType { get; } = interfaceType;

    /// <summary>The generated proxy, constructed with (GrainId, IGrainCallInvoker).</summary>
    public Type ProxyType { get; } = proxyType;

    /// <summary>A static class with <c>GrainRequest Create(int methodId)</c> for the interface's own methods.</summary>
    public Type RequestFactoryType { get; } = requestFactoryType;
}
