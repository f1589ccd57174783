using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;

namespace Chat.Testing;

/// <summary>Starting a real host (silo or frontend) in-process, for the hosts' startup tests.</summary>
public static class HostStartup
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Builds and starts a host the way its <c>Program.cs</c> does, on a test server, and returns
    /// what its start threw (null when it started). Built directly rather than through
    /// WebApplicationFactory: a failed start then surfaces exactly the start's exception, not
    /// whatever the factory's entry-point thread and disposal of a half-started host produce.
    /// </summary>
    public static async Task<Exception?> StartFailureAsync(
        Action<WebApplicationBuilder> addHost,
        Action<WebApplication> mapEndpoints,
        IReadOnlyDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseTestServer();
        addHost(builder);

        Exception? failure;
        WebApplication? app = null;
        try
        {
            app = builder.Build();
            mapEndpoints(app);
            await app.StartAsync().WaitAsync(Timeout);
            failure = null;
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            failure = ex;
        }

        if (app is not null)
        {
            if (failure is null)
            {
                await app.StopAsync().WaitAsync(Timeout);
            }

            await app.DisposeAsync().AsTask().WaitAsync(Timeout);
        }

        return failure;
    }

    /// <summary>A connection string pointing at a port nothing listens on.</summary>
    public static string UnreachableConnectionString()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=chat;Timeout=3";
    }

    /// <summary>Every message of an exception and its inner exceptions, one per line.</summary>
    public static string AllMessages(Exception exception)
    {
        var messages = new List<string>();
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            messages.Add(current.Message);
            if (current is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(inner => inner.Message));
            }
        }

        return string.Join(Environment.NewLine, messages);
    }
}
