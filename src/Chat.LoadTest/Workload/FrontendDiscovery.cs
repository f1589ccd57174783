namespace Chat.LoadTest.Workload;

/// <summary>Finds the frontends of the local system that <c>./chat up</c> started (<c>.chat/pids/frontend-*.url</c>).</summary>
public static class FrontendDiscovery
{
    /// <summary>The URLs recorded under the nearest <c>.chat/pids</c> at or above <paramref name="directory"/>, in frontend order.</summary>
    public static IReadOnlyList<Uri> Find(string directory)
    {
        for (var current = new DirectoryInfo(directory); current is not null; current = current.Parent)
        {
            var pids = Path.Combine(current.FullName, ".chat", "pids");
            if (!Directory.Exists(pids))
            {
                continue;
            }

            return [.. Directory.EnumerateFiles(pids, "frontend-*.url")
                .Select(file => (Number: NumberOf(file), Text: File.ReadAllText(file).Trim()))
                .Where(entry => Uri.TryCreate(entry.Text, UriKind.Absolute, out _))
                .OrderBy(entry => entry.Number)
                .Select(entry => new Uri(entry.Text))];
        }

        return [];
    }

    private static int NumberOf(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        return int.TryParse(name.AsSpan(name.LastIndexOf('-') + 1), out var number) ? number : int.MaxValue;
    }
}
