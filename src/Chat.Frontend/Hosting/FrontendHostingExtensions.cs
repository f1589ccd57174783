using System.Text.Json;
using Chat.Frontend.Api;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Chat.Frontend.Hosting;

/// <summary>Composition of the frontend host: the steps Program.cs calls.</summary>
public static partial class FrontendHostingExtensions
{
    /// <summary>Registers options (validated at startup), JSON conventions, the PostgreSQL data source and health checks.</summary>
    public static WebApplicationBuilder AddChatFrontend(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>();
        services.AddOptions<FrontendOptions>().BindConfiguration(FrontendOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FrontendOptions>, FrontendOptionsValidator>();

        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            options.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        });

        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            return new NpgsqlDataSourceBuilder(options.ConnectionString)
            {
                Name = "chat-frontend",
            }.Build();
        });

        services.AddChatHealthChecks();
        return builder;
    }

    /// <summary>Maps the frontend's endpoints: health and the REST API.</summary>
    public static WebApplication MapChatFrontend(this WebApplication app)
    {
        app.MapChatHealthEndpoints();
        app.MapChatApi();
        return app;
    }

    /// <summary>Logs who this frontend is and where its database is, once the host has started.</summary>
    public static WebApplication LogChatFrontendStartup(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var frontend = app.Services.GetRequiredService<IOptions<FrontendOptions>>().Value;
            var database = app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
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
