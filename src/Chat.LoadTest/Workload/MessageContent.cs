using System.Globalization;

namespace Chat.LoadTest.Workload;

/// <summary>
/// The text of a load-test message: <c>lt:RUN:MICROS:</c> and padding, where RUN tells this run's
/// messages from older ones in reused conversations and MICROS is the scheduled send time on the
/// process's clock (sender and recipients always live in the same process).
/// </summary>
internal static class MessageContent
{
    private const string Padding = " lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor";

    public static string Create(string runTag, long scheduledMicros, int size)
    {
        var header = string.Create(CultureInfo.InvariantCulture, $"lt:{runTag}:{scheduledMicros}:");
        if (header.Length >= size)
        {
            return header;
        }

        return string.Create(size, header, static (span, header) =>
        {
            header.AsSpan().CopyTo(span);
            for (var i = header.Length; i < span.Length; i++)
            {
                span[i] = Padding[i % Padding.Length];
            }
        });
    }

    public static bool TryParse(string? content, string runTag, out long scheduledMicros)
    {
        scheduledMicros = 0;
        if (content is null || !content.StartsWith("lt:", StringComparison.Ordinal)
            || content.Length < 4 + runTag.Length || !content.AsSpan(3).StartsWith(runTag, StringComparison.Ordinal)
            || content[3 + runTag.Length] != ':')
        {
            return false;
        }

        var rest = content.AsSpan(4 + runTag.Length);
        var end = rest.IndexOf(':');
        return end > 0 && long.TryParse(rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out scheduledMicros);
    }
}
