using Chat.Grains.Accounts;
using Chat.Grains.Conversations;
using Chat.Grains.Demo;
using Chat.Grains.Events;
using Chat.Grains.Options;
using Chat.Grains.Storage;
using Chat.ServiceDefaults;
using Chat.ServiceDefaults.Database;
using Microsoft.AspNetCore.Identity;
using Orleans.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Chat.Grains.Hosting;

/// <summary>Adds the chat domain to a silo.</summary>
public static class ChatDomainExtensions
{
    /// <summary>The migration component of the chat schema (embedded <c>Migrations/NNNN_*.sql</c>).</summary>
    public const string MigrationComponent = "chat";

    /// <summary>The chat schema's versioned migrations.</summary>
    public static IReadOnlyList<Migration> Migrations() => SqlMigrator.FromEmbeddedResources(typeof(ConversationGrain).Assembly);

    /// <summary>
    /// The chat domain on a silo: options <c>Chat:Limits</c>, <c>Chat:Presence</c>, <c>Chat:Events</c>,
    /// <c>Chat:Auth</c>, <c>Chat:Demo</c> (validated at start), the user-event publisher (Orleans
    /// streams when the silo has the <see cref="FrontendEventStream.ProviderName"/> provider, else an
    /// in-memory recorder) and the demo loader (run at start when <c>Chat:Demo:Load</c>). The grain
    /// classes are found by Orleans in this assembly; the schema is migrated by the host before the silo starts.
    /// </summary>
    public static ISiloBuilder AddChatDomain(this ISiloBuilder silo)
    {
        AddChatDomainServices(silo.Services);
        silo.AddStartupTask<DemoStartupTask>();
        return silo;
    }

    /// <summary>The services the chat grains and the demo loader need (without grains and start-up tasks).</summary>
    public static IServiceCollection AddChatDomainServices(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(ChatDatabase)))
        {
            return services;
        }

        services.AddOptions<ChatLimitsOptions>().BindConfiguration(ChatLimitsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatLimitsOptions>, ChatLimitsOptionsValidator>();
        services.AddOptions<ChatPresenceOptions>().BindConfiguration(ChatPresenceOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatPresenceOptions>, ChatPresenceOptionsValidator>();
        services.AddOptions<ChatEventsOptions>().BindConfiguration(ChatEventsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatEventsOptions>, ChatEventsOptionsValidator>();
        services.AddOptions<ChatAuthOptions>().BindConfiguration(ChatAuthOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatAuthOptions>, ChatAuthOptionsValidator>();
        services.AddOptions<ChatDemoOptions>().BindConfiguration(ChatDemoOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatDemoOptions>, ChatDemoOptionsValidator>();

        services.AddChatDatabase();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ChatDatabase>();
        services.AddSingleton<Diagnostics.ChatMetrics>();
        services.AddSingleton<DeliveredReceiptWriter>();
        services.AddSingleton<IPasswordHasher<AccountUser>>(sp => new PasswordHasher<AccountUser>(Microsoft.Extensions.Options.Options.Create(
            new PasswordHasherOptions { IterationCount = sp.GetRequiredService<IOptions<ChatAuthOptions>>().Value.PasswordHashIterations })));
        services.AddSingleton<RecordingUserEventPublisher>();
        services.AddSingleton<IUserEventPublisher>(sp => sp.GetKeyedService<IStreamProvider>(FrontendEventStream.ProviderName) is not null
            ? new StreamUserEventPublisher(sp)
            : sp.GetRequiredService<RecordingUserEventPublisher>());
        services.AddSingleton(sp => new DemoDataLoader(
            sp.GetRequiredService<ChatDatabase>(),
            sp.GetRequiredService<IPasswordHasher<AccountUser>>(),
            sp.GetRequiredService<IOptions<ChatDemoOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<DemoDataLoader>>()));
        return services;
    }
}
