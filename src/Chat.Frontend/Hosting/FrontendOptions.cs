using Microsoft.Extensions.Options;

namespace Chat.Frontend.Hosting;

/// <summary>Identity of this frontend (section <c>Chat:Frontend</c>).</summary>
public sealed class FrontendOptions
{
    public const string SectionName = "Chat:Frontend";

    /// <summary>Name shown in logs and status; defaults to <c>frontend-&lt;pid&gt;</c>.</summary>
    public string Name { get; set; } = $"frontend-{Environment.ProcessId}";
}

internal sealed class FrontendOptionsValidator : IValidateOptions<FrontendOptions>
{
    public ValidateOptionsResult Validate(string? name, FrontendOptions options) =>
        string.IsNullOrWhiteSpace(options.Name)
            ? ValidateOptionsResult.Fail($"{FrontendOptions.SectionName}:{nameof(FrontendOptions.Name)} must not be empty.")
            : ValidateOptionsResult.Success;
}
