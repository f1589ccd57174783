using Chat.Runtime.Invocation;

using System.Globalization;

namespace Chat.Runtime;

/// <summary>
/// The key-string formats of the keyed grain interfaces. A Guid key is 32 hex digits ("N"), an
/// integer key its invariant decimal text; compound keys append <c>+extension</c>.
/// </summary>
public static class GrainKeys
{
    /// <summary>Key string of a Guid key with an optional extension.</summary>
    public static string FromGuid(Guid key, string? extension = null) =>
        extension is null ? key.ToString("N") : key.ToString("N") + "+" + extension;

    /// <summary>Key string of an integer key with an optional extension.</summary>
    public static string FromLong(long key, string? extension = null) =>
        extension is null ? key.ToString(CultureInfo.InvariantCulture) : key.ToString(CultureInfo.InvariantCulture) + "+" + extension;

    /// <summary>Reads a Guid key (and extension) back.</summary>
    public static Guid ToGuid(string key, out string? extension)
    {
        var plus = key.IndexOf('+');
        extension = plus < 0 ? null : key[(plus + 1)..];
        return Guid.ParseExact(plus < 0 ? key : key[..plus], "N");
    }

    /// <summary>Reads an integer key (and extension) back.</summary>
    public static long ToLong(string key, out string? extension)
    {
        var plus = key.IndexOf('+', 1);
        extension = plus < 0 ? null : key[(plus + 1)..];
        return long.Parse(plus < 0 ? key : key[..plus], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }
}

/// <summary>Key accessors for grain references and grains.</summary>
public static class GrainKeyExtensions
{
    /// <summary>The Guid key.</summary>
    public static Guid GetPrimaryKey(this IAddressable grain) => GrainKeys.ToGuid(grain.GetGrainId().Key, out _);

    /// <summary>The Guid key and its extension.</summary>
    public static Guid GetPrimaryKey(this IAddressable grain, out string? keyExtension) => GrainKeys.ToGuid(grain.GetGrainId().Key, out keyExtension);

    /// <summary>The integer key.</summary>
    public static long GetPrimaryKeyLong(this IAddressable grain) => GrainKeys.ToLong(grain.GetGrainId().Key, out _);

    /// <summary>The integer key and its extension.</summary>
    public static long GetPrimaryKeyLong(this IAddressable grain, out string? keyExtension) => GrainKeys.ToLong(grain.GetGrainId().Key, out keyExtension);

    /// <summary>The string key.</summary>
    public static string GetPrimaryKeyString(this IAddressable grain) => grain.GetGrainId().Key;

    /// <summary>The grain id of a reference or a grain.</summary>
    public static GrainId GetGrainId(this IAddressable grain) => grain switch
    {
        GrainReference reference => reference.GrainId,
        Grain g => g.GrainId,
        _ => throw new ArgumentException($"{grain.GetType()} is neither a grain reference nor a grain.", nameof(grain)),
    };
}
