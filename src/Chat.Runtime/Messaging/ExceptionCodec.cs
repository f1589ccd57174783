using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chat.Runtime.Messaging;

/// <summary>
/// Carries exceptions across processes: type name, message and the exception's own public
/// properties. The receiver rebuilds the same type when it has it (so domain exceptions round-trip
/// as themselves) and otherwise throws <see cref="RemoteGrainException"/> with the original type name.
/// Stack traces stay on the silo that threw.
/// </summary>
internal static class ExceptionCodec
{
    private static readonly HashSet<string> BaseProperties = typeof(Exception).GetProperties().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

    public static byte[] Encode(Exception exception, JsonSerializerOptions options)
    {
        var type = exception.GetType();
        var properties = new JsonObject();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (BaseProperties.Contains(property.Name) || property.GetIndexParameters().Length != 0 || !property.CanRead)
            {
                continue;
            }

            try
            {
                properties[property.Name] = JsonSerializer.SerializeToNode(property.GetValue(exception), property.PropertyType, options);
            }
            catch (Exception)
            {
                // A property that cannot be serialised is left out rather than losing the exception.
            }
        }

        var envelope = new JsonObject
        {
            ["type"] = $"{type.FullName}, {type.Assembly.GetName().Name}",
            ["message"] = exception.Message,
            ["properties"] = properties,
        };
        return JsonSerializer.SerializeToUtf8Bytes(envelope, options);
    }

    public static Exception Decode(ReadOnlySpan<byte> json, JsonSerializerOptions options)
    {
        string typeName = "unknown";
        string message = "";
        try
        {
            var envelope = JsonNode.Parse(json)!.AsObject();
            typeName = envelope["type"]?.GetValue<string>() ?? typeName;
            message = envelope["message"]?.GetValue<string>() ?? "";
            var properties = envelope["properties"] as JsonObject ?? [];
            var type = Type.GetType(typeName, throwOnError: false);
            if (type is not null && typeof(Exception).IsAssignableFrom(type) && !type.IsAbstract)
            {
                return Rebuild(type, message, properties, options) ?? new RemoteGrainException(typeName, message);
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return new RemoteGrainException(typeName, message);
        }

        return new RemoteGrainException(typeName, message);
    }

    private static Exception? Rebuild(Type type, string message, JsonObject properties, JsonSerializerOptions options)
    {
        // Prefer a constructor whose parameters we can all fill: "message" and property names.
        foreach (var ctor in type.GetConstructors().OrderByDescending(c => c.GetParameters().Length))
        {
            var parameters = ctor.GetParameters();
            var args = new object?[parameters.Length];
            var ok = true;
            for (var i = 0; i < parameters.Length && ok; i++)
            {
                var p = parameters[i];
                if (string.Equals(p.Name, "message", StringComparison.OrdinalIgnoreCase) && p.ParameterType == typeof(string))
                {
                    args[i] = message;
                }
                else if (FindProperty(properties, p.Name) is { } node)
                {
                    args[i] = node.Deserialize(p.ParameterType, options);
                }
                else if (p.HasDefaultValue)
                {
                    args[i] = p.DefaultValue;
                }
                else if (p.ParameterType == typeof(Exception))
                {
                    args[i] = null;
                }
                else
                {
                    ok = false;
                }
            }

            if (!ok)
            {
                continue;
            }

            var exception = (Exception)ctor.Invoke(args);
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.SetMethod is { IsPublic: true } && !BaseProperties.Contains(property.Name) && FindProperty(properties, property.Name) is { } value)
                {
                    property.SetValue(exception, value.Deserialize(property.PropertyType, options));
                }
            }

            return exception;
        }

        return null;
    }

    private static JsonNode? FindProperty(JsonObject properties, string? name)
    {
        if (name is null)
        {
            return null;
        }

        foreach (var (key, value) in properties)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }
}

/// <summary>A grain threw an exception whose type this process does not have.</summary>
public sealed class RemoteGrainException(string originalType, string message) : Exception($"{originalType}: {message}")
{
    /// <summary>The type name of the exception thrown on the silo.</summary>
    public string OriginalType { get; } = originalType;
}
