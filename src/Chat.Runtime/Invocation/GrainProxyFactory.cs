using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;

namespace Chat.Runtime.Invocation;

/// <summary>
/// Finds the generated proxy of each grain interface (an assembly attribute written by the code
/// generator) and constructs references with a compiled constructor call.
/// </summary>
internal sealed class GrainProxyFactory : IGrainFactory
{
    private readonly ConcurrentDictionary<Type, Func<GrainId, IGrainCallInvoker, GrainReference>> _constructors = new();
    private readonly ConcurrentDictionary<Type, string> _grainTypes = new();
    private readonly IGrainCallInvoker _invoker;

    public GrainProxyFactory(IGrainCallInvoker invoker) => _invoker = invoker;

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey)
        where TGrainInterface : IGrainWithGuidKey => Create<TGrainInterface>(GrainKeys.FromGuid(primaryKey));

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey)
        where TGrainInterface : IGrainWithIntegerKey => Create<TGrainInterface>(GrainKeys.FromLong(primaryKey));

    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey)
        where TGrainInterface : IGrainWithStringKey => Create<TGrainInterface>(primaryKey ?? throw new ArgumentNullException(nameof(primaryKey)));

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension)
        where TGrainInterface : IGrainWithGuidCompoundKey => Create<TGrainInterface>(GrainKeys.FromGuid(primaryKey, keyExtension ?? throw new ArgumentNullException(nameof(keyExtension))));

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension)
        where TGrainInterface : IGrainWithIntegerCompoundKey => Create<TGrainInterface>(GrainKeys.FromLong(primaryKey, keyExtension ?? throw new ArgumentNullException(nameof(keyExtension))));

    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId)
        where TGrainInterface : IAddressable => (TGrainInterface)(object)GetConstructor(typeof(TGrainInterface))(grainId, _invoker);

    public IAddressable GetGrain(Type grainInterface, GrainId grainId) => GetConstructor(grainInterface)(grainId, _invoker);

    public string GetGrainType(Type grainInterface) => _grainTypes.GetOrAdd(grainInterface, GrainTypeNames.Of);

    private TGrainInterface Create<TGrainInterface>(string key)
    {
        var id = new GrainId(GetGrainType(typeof(TGrainInterface)), key);
        return (TGrainInterface)(object)GetConstructor(typeof(TGrainInterface))(id, _invoker);
    }

    private Func<GrainId, IGrainCallInvoker, GrainReference> GetConstructor(Type grainInterface) =>
        _constructors.GetOrAdd(grainInterface, static type =>
        {
            var proxyType = type.Assembly.GetCustomAttributes<GrainProxyAttribute>()
                .FirstOrDefault(a => a.InterfaceType == type)?.ProxyType
                ?? throw new InvalidOperationException(
                    $"No generated proxy for grain interface {type.FullName}. Does its project reference Chat.Runtime.CodeGenerator as an analyzer?");
            var id = Expression.Parameter(typeof(GrainId));
            var invoker = Expression.Parameter(typeof(IGrainCallInvoker));
            var ctor = proxyType.GetConstructor([typeof(GrainId), typeof(IGrainCallInvoker)])
                ?? throw new InvalidOperationException($"{proxyType} lacks the (GrainId, IGrainCallInvoker) constructor.");
            return Expression.Lambda<Func<GrainId, IGrainCallInvoker, GrainReference>>(Expression.New(ctor, id, invoker), id, invoker).Compile();
        });
}

/// <summary>How grain interfaces are named in <see cref="GrainId"/>s.</summary>
public static class GrainTypeNames
{
    /// <summary>The <see cref="GrainTypeAttribute"/> name of the interface, or its simple name.</summary>
    public static string Of(Type grainInterface)
    {
        if (!grainInterface.IsInterface || !typeof(IAddressable).IsAssignableFrom(grainInterface))
        {
            throw new ArgumentException($"{grainInterface} is not a grain interface.", nameof(grainInterface));
        }

        return grainInterface.GetCustomAttribute<GrainTypeAttribute>()?.Name ?? grainInterface.Name;
    }
}
