using System.Collections.Concurrent;
using System.Reflection;
using Chat.Runtime.Invocation;

namespace Chat.Runtime.Messaging;

/// <summary>
/// Creates empty request objects for (interface name, method id) pairs arriving over the network,
/// from the generated request factories of every grain interface assembly seen.
/// </summary>
internal sealed class RequestFactoryRegistry
{
    private readonly ConcurrentDictionary<string, Func<int, GrainRequest>> _factories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Assembly, bool> _scanned = new();

    public void AddInterfaceAssemblies(IEnumerable<Type> types)
    {
        foreach (var type in types)
        {
            foreach (var grainInterface in type.GetInterfaces().Append(type).Where(t => t.IsInterface))
            {
                Scan(grainInterface.Assembly);
            }
        }
    }

    public GrainRequest Create(string interfaceName, int methodId)
    {
        if (!_factories.TryGetValue(interfaceName, out var factory))
        {
            throw new GrainTypeNotFoundException($"Grain interface '{interfaceName}' is unknown on this silo.");
        }

        return factory(methodId);
    }

    private void Scan(Assembly assembly)
    {
        if (!_scanned.TryAdd(assembly, true))
        {
            return;
        }

        foreach (var attribute in assembly.GetCustomAttributes<GrainProxyAttribute>())
        {
            var name = (string?)attribute.RequestFactoryType.GetField("InterfaceName")?.GetValue(null);
            var create = attribute.RequestFactoryType.GetMethod("Create", [typeof(int)]);
            if (name is null || create is null)
            {
                continue;
            }

            _factories[name] = create.CreateDelegate<Func<int, GrainRequest>>();
        }
    }
}
