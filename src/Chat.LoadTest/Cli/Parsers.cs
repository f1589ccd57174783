using System.Globalization;
using System.Text.RegularExpressions;

namespace Chat.LoadTest.Cli;

/// <summary>
/// The group mix: "auto" (derived from the user count), "none", or a list such as <c>5x100,50x4,500x1</c>
/// (100 groups of 5, 4 of 50, one of 500). A group never has more members than there are users.
/// </summary>
public sealed record GroupMix(string Text, IReadOnlyList<(int Size, int Count)>? Explicit)
{
    /// <summary>
    /// Every user in one group of 5, one group of 50 per 200 users (from 100 users) and one group of
    /// 500 from 1,000 users: a few large groups dominate fan-out, as in real workspaces.
    /// </summary>
    public static GroupMix Auto { get; } = new("auto", null);

    /// <summary>The concrete groups for a number of users.</summary>
    public IReadOnlyList<(int Size, int Count)> For(int users)
    {
        if (Explicit is not null)
        {
            return Explicit;
        }

        var groups = new List<(int, int)>();
        if (users >= 5)
        {
            groups.Add((5, users / 5));
        }

        if (users >= 100)
        {
            groups.Add((50, Math.Max(1, users / 200)));
        }

        if (users >= 1000)
        {
            groups.Add((500, 1));
        }

        return groups;
    }

    /// <summary>Parses a mix; throws <see cref="FormatException"/> with a message for the user.</summary>
    public static GroupMix Parse(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            return Auto;
        }

        if (trimmed.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return new GroupMix("none", []);
        }

        var groups = new List<(int, int)>();
        foreach (var part in trimmed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = Regex.Match(part, @"^(\d+)\s*[xX*]\s*(\d+)$");
            if (!match.Success)
            {
                throw new FormatException($"'{part}' is not SIZExCOUNT (e.g. 5x100).");
            }

            var size = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            var count = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            if (size < 3)
            {
                throw new FormatException($"A group has at least 3 members (creator included); '{part}' has {size}.");
            }

            groups.Add((size, count));
        }

        if (groups.Count == 0)
        {
            throw new FormatException("Give groups as SIZExCOUNT[,SIZExCOUNT...], 'auto' or 'none'.");
        }

        return new GroupMix(trimmed, groups);
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>Durations such as <c>30s</c>, <c>2m</c>, <c>1h</c>, <c>500ms</c>, <c>1m30s</c>, or plain seconds (<c>90</c>).</summary>
public static partial class DurationParser
{
    /// <summary>Parses a duration; throws <see cref="FormatException"/> with a message for the user.</summary>
    public static TimeSpan Parse(string text)
    {
        var trimmed = text.Trim();
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return Positive(TimeSpan.FromSeconds(seconds), text);
        }

        var matches = Part().Matches(trimmed);
        if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != trimmed)
        {
            throw new FormatException($"'{text}' is not a duration (e.g. 30s, 2m, 1h, 500ms, 1m30s).");
        }

        var total = TimeSpan.Zero;
        foreach (Match match in matches)
        {
            var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            total += match.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                _ => TimeSpan.FromHours(value),
            };
        }

        return Positive(total, text);
    }

    private static TimeSpan Positive(TimeSpan value, string text) =>
        value > TimeSpan.Zero ? value : throw new FormatException($"'{text}' must be longer than zero.");

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h)")]
    private static partial Regex Part();
}
