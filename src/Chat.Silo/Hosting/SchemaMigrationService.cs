using Chat.Grains.Hosting;
using Chat.ServiceDefaults.Database;

namespace Chat.Silo.Hosting;

/// <summary>
/// Applies the Orleans schema (membership, grain storage, reminders and their <c>OrleansQuery</c>
/// statements) and the chat schema under the migrator's advisory lock. Registered before Orleans,
/// so it runs before the silo reads its queries or joins the cluster.
/// </summary>
internal sealed partial class SchemaMigrationService(ChatDataSource pool, ILogger<SchemaMigrationService> logger) : IHostedService
{
    /// <summary>The migration component of the Orleans schema (embedded <c>Migrations/NNNN_*.sql</c> of this assembly).</summary>
    public const string OrleansComponent = "orleans";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (orleans, chat) = await ApplyAllAsync(pool.DataSource, cancellationToken);
        LogMigrated(logger, orleans, chat);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The Orleans schema's versioned migrations.</summary>
    public static IReadOnlyList<Migration> OrleansMigrations() => SqlMigrator.FromEmbeddedResources(typeof(SchemaMigrationService).Assembly);

    /// <summary>Both schemas, in order: what a silo applies before it starts. Returns how many scripts of each ran.</summary>
    public static async Task<(int Orleans, int Chat)> ApplyAllAsync(Npgsql.NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var orleans = await SqlMigrator.ApplyAsync(dataSource, OrleansComponent, OrleansMigrations(), cancellationToken);
        var chat = await SqlMigrator.ApplyAsync(dataSource, ChatDomainExtensions.MigrationComponent, ChatDomainExtensions.Migrations(), cancellationToken);
        return (orleans, chat);
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Schema up to date ({Orleans} Orleans and {Chat} chat migrations applied now)")]
    private static partial void LogMigrated(ILogger logger, int orleans, int chat);
}
