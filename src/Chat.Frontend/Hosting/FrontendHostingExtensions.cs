using Chat.Frontend.Api;
using Chat.Frontend.Auth;
using Chat.Frontend.Realtime;
using Chat.ServiceDefaults;
using Chat.ServiceDefaults.Database;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Chat.Frontend.Hosting;

/// <summary>Composition of the frontend host: the steps Program.cs calls.</summary>
public static partial class FrontendHostingExtensions
{
    /// <summary>
    /// Registers options (validated at startup), the cluster client, JSON conventions, bearer-token
    /// authentication, SignalR, the real-time services and health checks.
    /// </summary>
    public static WebApplicationBuilder AddChatFrontend(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddOptions<FrontendOptions>().BindConfiguration(FrontendOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FrontendOptions>, FrontendOptionsValidator>();

        // Database pool, health checks (process, PostgreSQL) and OpenTelemetry metrics, shared with the silo.
        services.AddChatServiceDefaults();
        // The cluster: grains and this frontend's event stream (gateways from Chat:Database, cluster Chat:Silo:ClusterId).
        builder.AddChatClusterClient();

        services.ConfigureHttpJsonOptions(options => ChatJson.Apply(options.SerializerOptions));
        // Binding failures throw, so ApiErrorMiddleware answers them in the error shape.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.Configure<FormOptions>(options => options.MultipartBodyLengthLimit = long.MaxValue);

        services.AddSingleton<TokenService>();
        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddAuthorization();

        services.AddSignalR(options => options.AddFilter<HubErrorFilter>())
            .AddJsonProtocol(options => ChatJson.Apply(options.PayloadSerializerOptions));
        services.AddSingleton<HubErrorFilter>();
        services.AddSingleton<DeliveryReports>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton(sp => new FrontendMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<ConnectionRegistry>));
        // After the cluster client: hosted services stop in reverse order, so these stop before it.
        services.AddHostedService<FrontendEventSubscription>();
        services.AddHostedService<PresenceRenewalService>();
        services.AddHostedService<FrontendShutdownService>();
        return builder;
    }

    /// <summary>Health (<c>/health/live</c>, <c>/health/ready</c>) and Prometheus metrics (<c>/metrics</c>).</summary>
    public static WebApplication MapChatHealth(this WebApplication app)
    {
        app.MapChatDefaultEndpoints();
        return app;
    }

    /// <summary>The middleware: API errors outermost, then authentication and authorization.</summary>
    public static WebApplication UseChatFrontend(this WebApplication app)
    {
        app.UseMiddleware<ApiErrorMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();

        // Create the instruments now, so /metrics shows them before the first connection.
        app.Services.GetRequiredService<FrontendMetrics>();
        return app;
    }

    /// <summary>The SignalR hub at <c>/hubs/chat</c>.</summary>
    public static WebApplication MapChatHub(this WebApplication app)
    {
        app.MapHub<ChatHub>("/hubs/chat");
        return app;
    }

    /// <summary>Logs who this frontend is and where its database is, once the host has started.</summary>
    public static WebApplication LogChatFrontendStartup(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var frontend = app.Services.GetRequiredService<IOptions<FrontendOptions>>().Value;
            var database = app.Services.GetRequiredService<IOptions<ChatDatabaseOptions>>().Value;
            LogStarted(app.Logger, frontend.Name, database.DescribeTarget(), ListeningAddresses(app));
        });
        app.Lifetime.ApplicationStopping.Register(() =>
            LogStopping(app.Logger, app.Services.GetRequiredService<IOptions<FrontendOptions>>().Value.Name));
        return app;
    }

    private static string ListeningAddresses(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        return addresses is { Count: > 0 } ? string.Join(", ", addresses) : "(in-process test server)";
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Frontend {FrontendName} started; database {DatabaseTarget}; listening on {Urls}")]
    private static partial void LogStarted(ILogger logger, string frontendName, string databaseTarget, string urls);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Frontend {FrontendName} stopping")]
    private static partial void LogStopping(ILogger logger, string frontendName);
}
