using Chat.Grains.Accounts;
using Chat.Grains.Conversations;
using Chat.Grains.Demo;
using Chat.Grains.Events;
using Chat.Grains.Options;
using Chat.Grains.Storage;
using Chat.Runtime.Hosting;
using Chat.Runtime.Streams;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Chat.Grains.Hosting;

/// <summary>Adds the chat domain to a silo.</summary>
public static class ChatDomainExtensions
{
    /// <summary>
    /// The chat grains, their migrations (component <c>chat</c>, applied at silo start after the
    /// runtime's), options <c>Chat:Limits</c>, <c>Chat:Presence</c>, <c>Chat:Auth</c>, <c>Chat:Demo</c>
    /// (validated at start), the user-event publisher (streams when an <see cref="IStreamProvider"/>
    /// is registered, else an in-memory recorder) and the demo loader (run at start when <c>Chat:Demo:Load</c>).
    /// </summary>
    public static SiloBuilder AddChatDomain(this SiloBuilder silo)
    {
        var assembly = typeof(ConversationGrain).Assembly;
        silo.AddGrains(assembly).AddMigrations("chat", assembly);
        AddChatDomainServices(silo.Services);
        silo.Services.AddSingleton<ISiloStartupTask, DemoStartupTask>();
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
        services.AddOptions<ChatAuthOptions>().BindConfiguration(ChatAuthOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatAuthOptions>, ChatAuthOptionsValidator>();
        services.AddOptions<ChatDemoOptions>().BindConfiguration(ChatDemoOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatDemoOptions>, ChatDemoOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ChatDatabase>();
        services.AddSingleton<DeliveredReceiptWriter>();
        services.AddSingleton<IPasswordHasher<AccountUser>>(sp => new PasswordHasher<AccountUser>(Microsoft.Extensions.Options.Options.Create(
            new PasswordHasherOptions { IterationCount = sp.GetRequiredService<IOptions<ChatAuthOptions>>().Value.PasswordHashIterations })));
        services.AddSingleton<RecordingUserEventPublisher>();
        services.AddSingleton<IUserEventPublisher>(sp => sp.GetService<IStreamProvider>() is { } streams
            ? new StreamUserEventPublisher(streams)
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
