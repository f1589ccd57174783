using System.Globalization;
using System.Net;

namespace Chat.Runtime.Messaging;

/// <summary>
/// One incarnation of a silo: host, port and generation (a new generation on every start, so a
/// restarted silo on the same port is a different member). Text form <c>host:port@generation</c>.
/// </summary>
public readonly record struct SiloAddress(string Host, int Port, long Generation)
{
    /// <summary>The endpoint to connect to.</summary>
    public EndPoint EndPoint => IPAddress.TryParse(Host, out var ip) ? new IPEndPoint(ip, Port) : new DnsEndPoint(Host, Port);

    /// <summary>Stable hash of the text form (placement input).</summary>
    public uint GetStableHash() => StableHash.XxHash32(ToString());

    /// <summary>Parses <c>host:port@generation</c>.</summary>
    public static SiloAddress Parse(string text)
    {
        var at = text.LastIndexOf('@');
        var colon = text.LastIndexOf(':', at < 0 ? text.Length - 1 : at);
        if (at < 0 || colon < 0)
        {
            throw new FormatException($"'{text}' is not a silo address (host:port@generation).");
        }

        return new SiloAddress(
            text[..colon],
            int.Parse(text[(colon + 1)..at], CultureInfo.InvariantCulture),
            long.Parse(text[(at + 1)..], CultureInfo.InvariantCulture));
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}@{Generation}");
}
