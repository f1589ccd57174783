using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.LoadTest.Metrics;

namespace Chat.LoadTest.Reporting;

/// <summary>Reads and writes reports (camelCase JSON, indented).</summary>
public static class ReportJson
{
    /// <summary>Writes a report to a file (its directory is created).</summary>
    public static async Task WriteAsync(LoadReport report, string path, CancellationToken cancellationToken = default)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        await using var stream = File.Create(path);
        await JsonSerializer.SerializeAsync(stream, report, ReportJsonContext.Default.LoadReport, cancellationToken);
    }

    /// <summary>Reads a report written by <see cref="WriteAsync"/>.</summary>
    public static async Task<LoadReport> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync(stream, ReportJsonContext.Default.LoadReport, cancellationToken)
            ?? throw new InvalidDataException($"{path} holds no report.");
    }

    /// <summary>The report as a JSON string.</summary>
    public static string Serialize(LoadReport report) => JsonSerializer.Serialize(report, ReportJsonContext.Default.LoadReport);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(LoadReport))]
[JsonSerializable(typeof(HistogramSnapshot))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
