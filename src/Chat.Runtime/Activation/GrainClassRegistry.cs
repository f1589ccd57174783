using System.Reflection;
using Chat.Runtime.Invocation;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Runtime.Activation;

/// <summary>What the runtime knows about one grain class.</summary>
internal sealed class GrainClass
{
    private readonly ConstructorInfo _constructor;
    private readonly ParameterInfo[] _parameters;

    public GrainClass(string grainType, Type implementation, TimeSpan? collectionAge)
    {
        GrainType = grainType;
        Implementation = implementation;
        IsReentrant = implementation.IsDefined(typeof(ReentrantAttribute), inherit: true);
        CollectionAge = implementation.GetCustomAttribute<CollectionAgeLimitAttribute>()?.Age ?? collectionAge;
        _constructor = implementation.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()
            ?? throw new InvalidOperationException($"Grain class {implementation} has no public constructor.");
        _parameters = _constructor.GetParameters();
    }

    public string GrainType { get; }

    public Type Implementation { get; }

    public bool IsReentrant { get; }

    /// <summary>The class's own collection age, if it has one.</summary>
    public TimeSpan? CollectionAge { get; }

    /// <summary>Constructs the grain and the persistent states it asked for.</summary>
    public object Create(ActivationData activation, IServiceProvider services, List<ILoadableState> states)
    {
        var args = new object?[_parameters.Length];
        for (var i = 0; i < _parameters.Length; i++)
        {
            var parameter = _parameters[i];
            var type = parameter.ParameterType;
            if (parameter.GetCustomAttribute<PersistentStateAttribute>() is { } stateAttribute)
            {
                if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(IPersistentState<>))
                {
                    throw new InvalidOperationException($"[PersistentState] parameter '{parameter.Name}' of {Implementation} must be an IPersistentState<T>.");
                }

                var storageName = stateAttribute.StorageName ?? GrainStorageNames.Default;
                var storage = services.GetKeyedService<IGrainStorage>(storageName)
                    ?? throw new InvalidOperationException($"No grain storage named '{storageName}' is registered (needed by {Implementation}).");
                var stateType = typeof(PersistentState<>).MakeGenericType(type.GetGenericArguments()[0]);
                var state = Activator.CreateInstance(stateType, stateAttribute.StateName, activation.GrainId, storage)!;
                states.Add((ILoadableState)state);
                args[i] = state;
            }
            else if (type == typeof(IGrainContext))
            {
                args[i] = activation;
            }
            else if (type == typeof(GrainId))
            {
                args[i] = activation.GrainId;
            }
            else
            {
                args[i] = services.GetRequiredService(type);
            }
        }

        var grain = _constructor.Invoke(args);
        if (grain is Grain g)
        {
            g.GrainContext = activation;
        }

        return grain;
    }
}

/// <summary>Maps grain type names to the grain classes of the silo.</summary>
internal sealed class GrainClassRegistry
{
    private readonly Dictionary<string, GrainClass> _classes = new(StringComparer.Ordinal);

    public GrainClassRegistry(IEnumerable<Type> grainClasses, IReadOnlyDictionary<string, TimeSpan> collectionAgeByType)
    {
        foreach (var implementation in grainClasses.Distinct())
        {
            foreach (var grainInterface in implementation.GetInterfaces().Where(IsGrainInterface))
            {
                var grainType = GrainTypeNames.Of(grainInterface);
                if (_classes.TryGetValue(grainType, out var existing) && existing.Implementation != implementation)
                {
                    throw new InvalidOperationException(
                        $"Grain type '{grainType}' ({grainInterface.FullName}) is implemented by both {existing.Implementation} and {implementation}.");
                }

                collectionAgeByType.TryGetValue(grainType, out var age);
                _classes[grainType] = new GrainClass(grainType, implementation, age == default ? null : age);
            }
        }
    }

    public IReadOnlyCollection<GrainClass> Classes => _classes.Values;

    public GrainClass? Find(string grainType) => _classes.GetValueOrDefault(grainType);

    /// <summary>The non-abstract grain classes of an assembly.</summary>
    public static IEnumerable<Type> GrainClassesOf(Assembly assembly) =>
        assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && !typeof(GrainReference).IsAssignableFrom(t) && t.GetInterfaces().Any(IsGrainInterface));

    private static bool IsGrainInterface(Type type) =>
        typeof(IGrain).IsAssignableFrom(type)
        && type.Assembly.GetCustomAttributes<GrainProxyAttribute>().Any(a => a.InterfaceType == type);
}
