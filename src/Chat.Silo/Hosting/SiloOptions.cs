using Microsoft.Extensions.Options;

namespace Chat.Silo.Hosting;

/// <summary>Identity of this silo (section <c>Chat:Silo</c>).</summary>
public sealed class SiloOptions
{
    public const string SectionName = "Chat:Silo";

    /// <summary>Name shown in logs and status; defaults to <c>silo-&lt;pid&gt;</c>.</summary>
    public string Name { get; set; } = $"silo-{Environment.ProcessId}";
}

internal sealed class SiloOptionsValidator : IValidateOptions<SiloOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloOptions options) =>
        string.IsNullOrWhiteSpace(options.Name)
            ? ValidateOptionsResult.Fail($"{SiloOptions.SectionName}:{nameof(SiloOptions.Name)} must not be empty.")
            : ValidateOptionsResult.Success;
}
