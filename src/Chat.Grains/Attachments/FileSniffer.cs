using System.IO.Compression;

namespace Chat.Grains.Attachments;

/// <summary>
/// Decides an upload's type from its bytes (magic numbers), never from what the client declared:
/// jpeg, png, gif, webp, pdf, doc, docx, xls, xlsx. Returns null for anything else.
/// </summary>
internal static class FileSniffer
{
    public static string? Sniff(ReadOnlySpan<byte> content, string fileName)
    {
        if (content.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return "image/jpeg";
        }

        if (content.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return "image/png";
        }

        if (content.StartsWith("GIF87a"u8) || content.StartsWith("GIF89a"u8))
        {
            return "image/gif";
        }

        if (content.Length >= 12 && content.StartsWith("RIFF"u8) && content[8..12].SequenceEqual("WEBP"u8))
        {
            return "image/webp";
        }

        if (content.StartsWith("%PDF-"u8))
        {
            return "application/pdf";
        }

        if (content.StartsWith((ReadOnlySpan<byte>)[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]))
        {
            // Compound File Binary: Word and Excel share the container; the name tells them apart.
            return fileName.EndsWith(".xls", StringComparison.OrdinalIgnoreCase)
                ? "application/vnd.ms-excel"
                : "application/msword";
        }

        if (content.StartsWith("PK\x03\x04"u8))
        {
            return SniffOfficeOpenXml(content.ToArray());
        }

        return null;
    }

    /// <summary>A zip is docx or xlsx only if it holds the parts that make one.</summary>
    private static string? SniffOfficeOpenXml(byte[] content)
    {
        try
        {
            using var archive = new ZipArchive(new MemoryStream(content, writable: false), ZipArchiveMode.Read);
            var names = archive.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            if (!names.Contains("[Content_Types].xml"))
            {
                return null;
            }

            if (names.Contains("word/document.xml"))
            {
                return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
            }

            if (names.Contains("xl/workbook.xml"))
            {
                return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
            }
        }
        catch (InvalidDataException)
        {
            // Not a readable zip: not an Office document.
        }

        return null;
    }
}
