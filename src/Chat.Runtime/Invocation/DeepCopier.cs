using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;

namespace Chat.Runtime.Invocation;

/// <summary>Copies call arguments and results so that caller and callee never share mutable objects.</summary>
public interface IDeepCopier
{
    /// <summary>Returns <paramref name="value"/> itself when its type is immutable, else a deep copy.</summary>
    T Copy<T>(T value);
}

/// <summary>
/// Copies by a JSON round trip, skipping values whose type is immutable: primitives, strings,
/// grain references, <see cref="ImmutableAttribute"/> types, System.Collections.Immutable
/// collections of immutable items, and sealed types (records included) whose fields are all
/// read-only and of immutable types. In practice the chat contracts' records are never copied.
/// </summary>
internal sealed class JsonDeepCopier(JsonSerializerOptions options) : IDeepCopier
{
    public T Copy<T>(T value)
    {
        if (value is null || Immutability<T>.IsImmutable)
        {
            return value;
        }

        var runtimeType = value.GetType();
        if (runtimeType != typeof(T) && Immutability.IsImmutable(runtimeType))
        {
            return value;
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(value, runtimeType, options);
        return (T)JsonSerializer.Deserialize(json, runtimeType, options)!;
    }
}

internal static class Immutability<T>
{
    public static readonly bool IsImmutable = Immutability.IsImmutable(typeof(T));
}

/// <summary>Decides, once per type, whether values of a type can be shared without copying.</summary>
public static class Immutability
{
    private static readonly ConcurrentDictionary<Type, bool> Cache = new();

    private static readonly HashSet<Type> Known =
    [
        typeof(string), typeof(decimal), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan),
        typeof(Guid), typeof(DateOnly), typeof(TimeOnly), typeof(Uri), typeof(Version), typeof(GrainId),
        typeof(VoidResult), typeof(Half), typeof(Int128), typeof(UInt128),
        // Elements made by the serializer own a private document that nobody disposes or changes.
        typeof(System.Text.Json.JsonElement),
    ];

    /// <summary>True when values of <paramref name="type"/> never change after construction.</summary>
    public static bool IsImmutable(Type type) => Cache.GetOrAdd(type, static t => Analyze(t, []));

    private static bool Analyze(Type type, HashSet<Type> visiting)
    {
        if (type.IsPrimitive || type.IsEnum || Known.Contains(type))
        {
            return true;
        }

        if (typeof(GrainReference).IsAssignableFrom(type) || (type.IsInterface && typeof(IAddressable).IsAssignableFrom(type)))
        {
            return true;
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Analyze(underlying, visiting);
        }

        if (type.IsDefined(typeof(ImmutableAttribute), inherit: false))
        {
            return true;
        }

        if (type.IsGenericType && type.Namespace == "System.Collections.Immutable")
        {
            return type.GetGenericArguments().All(a => Analyze(a, visiting));
        }

        if (type.IsInterface || type.IsAbstract || type.IsArray || type.IsPointer || type == typeof(object))
        {
            return false;
        }

        // A subclass could add mutable fields, so only sealed classes and structs qualify.
        if (!type.IsValueType && !type.IsSealed)
        {
            return false;
        }

        if (!visiting.Add(type))
        {
            return true;
        }

        for (var t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (!field.IsInitOnly || !Analyze(field.FieldType, visiting))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
