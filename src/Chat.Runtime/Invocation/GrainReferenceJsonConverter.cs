using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat.Runtime.Invocation;

/// <summary>
/// Serialises grain references declared as grain interfaces as their text id (<c>type/key</c>) and
/// binds them back to the receiving process's grain factory.
/// </summary>
internal sealed class GrainReferenceJsonConverterFactory(Func<IGrainFactory> grainFactory) : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsInterface && typeof(IAddressable).IsAssignableFrom(typeToConvert) && typeToConvert != typeof(IAddressable);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert), grainFactory)!;

    private sealed class Converter<T>(Func<IGrainFactory> grainFactory) : JsonConverter<T>
        where T : class, IAddressable
    {
        public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            var id = GrainId.Parse(reader.GetString() ?? throw new JsonException("A grain reference must be a string."));
            return (T)grainFactory().GetGrain(typeof(T), id);
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.GetGrainId().ToString());
    }
}

/// <summary>The JSON settings the runtime uses for arguments, results, copies and stored state.</summary>
internal static class RuntimeJson
{
    public static JsonSerializerOptions CreateOptions(Func<IGrainFactory> grainFactory)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            IncludeFields = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        options.Converters.Add(new GrainReferenceJsonConverterFactory(grainFactory));
        options.Converters.Add(new DefaultImmutableArrayJsonConverterFactory());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>
/// Lets a default (uninitialised) <see cref="System.Collections.Immutable.ImmutableArray{T}"/> cross
/// the wire: it is written as <c>null</c> and read back as default, where System.Text.Json alone
/// would throw. Record parameters like <c>ImmutableArray&lt;Guid&gt; ids = default</c> are common.
/// </summary>
internal sealed class DefaultImmutableArrayJsonConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(System.Collections.Immutable.ImmutableArray<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class Converter<T> : JsonConverter<System.Collections.Immutable.ImmutableArray<T>>
    {
        public override bool HandleNull => true;

        public override System.Collections.Immutable.ImmutableArray<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return default;
            }

            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new JsonException($"Expected an array for ImmutableArray<{typeof(T).Name}>.");
            }

            // Element by element, mirroring Write (a T[] of bytes would expect base64 instead).
            var builder = System.Collections.Immutable.ImmutableArray.CreateBuilder<T>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                builder.Add(JsonSerializer.Deserialize<T>(ref reader, options)!);
            }

            return builder.ToImmutable();
        }

        public override void Write(Utf8JsonWriter writer, System.Collections.Immutable.ImmutableArray<T> value, JsonSerializerOptions options)
        {
            if (value.IsDefault)
            {
                writer.WriteNullValue();
                return;
            }

            writer.WriteStartArray();
            foreach (var item in value)
            {
                JsonSerializer.Serialize(writer, item, options);
            }

            writer.WriteEndArray();
        }
    }
}
