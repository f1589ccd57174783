using Chat.Grains.Demo;
using Chat.Grains.Hosting;
using Chat.ServiceDefaults.Database;

namespace Chat.Silo.Hosting;

/// <summary>
/// <c>dotnet Chat.Silo.dll --load-demo</c>: applies the migrations and loads the demo data into the
/// database of <c>Chat:Database:ConnectionString</c>, then exits (a running cluster can stay up).
/// </summary>
internal static partial class DemoCommand
{
    public const string Argument = "--load-demo";

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args.Where(a => a != Argument).ToArray());
        builder.Services.AddChatDomainServices();
        using var host = builder.Build();
        await host.StartAsync();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Chat.Silo.Demo");
        await SchemaMigrationService.ApplyAllAsync(host.Services.GetRequiredService<ChatDataSource>().DataSource, CancellationToken.None);
        var loaded = await host.Services.GetRequiredService<DemoDataLoader>().LoadAsync();
        LogDone(logger, loaded ? "loaded" : "already present");
        await host.StopAsync();
        return 0;
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Demo data {Outcome}")]
    private static partial void LogDone(ILogger logger, string outcome);
}
