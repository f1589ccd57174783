using Orleans.Serialization;

namespace Chat.Grains;

/// <summary>Serialization settings silos and clients must share.</summary>
public static class ChatSerialization
{
    /// <summary>
    /// Npgsql's exceptions cross from silos to clients rebuilt (Orleans rebuilds only System,
    /// Microsoft and Azure exceptions by default), so a frontend can tell "PostgreSQL is down"
    /// (503 UNAVAILABLE, retryable) from a bug (500).
    /// </summary>
    public static void Configure(ExceptionSerializationOptions options) => options.SupportedNamespacePrefixes.Add("Npgsql");
}
