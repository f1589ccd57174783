using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Chat.Testing;
using Chat.Frontend.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Chat.Frontend.Tests.Hosting;

/// <summary>The real frontend host, started in-process against a throwaway database.</summary>
public sealed class FrontendHostTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Live_answers_200_and_ready_503_while_no_silo_is_active_even_though_the_database_answers()
    {
        await using var factory = CreateFactory(database.ConnectionString);
        using var client = factory.CreateClient();

        var live = await client.GetAsync("/health/live").WaitAsync(Timeout);
        var ready = await client.GetAsync("/health/ready").WaitAsync(Timeout);
        var body = await ready.Content.ReadAsStringAsync().WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("\"postgres\":{\"status\":\"Healthy\"", body, StringComparison.Ordinal);
        Assert.Contains("\"cluster\":{\"status\":\"Unhealthy\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_answer_in_the_prometheus_text_format_with_the_frontend_instruments()
    {
        await using var factory = CreateFactory(database.ConnectionString);
        using var client = factory.CreateClient();

        var response = await client.GetAsync("/metrics").WaitAsync(Timeout);
        var text = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("# TYPE chat_frontend_connections gauge", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^chat_frontend_connections\{[^}]*\} 0\b", text);
        // The cluster client's own instruments (Orleans' meter) are exported too.
        Assert.Contains("otel_scope_name=\"Microsoft.Orleans\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_answers_503_while_live_answers_200_when_the_database_is_unreachable()
    {
        await using var factory = CreateFactory(HostStartup.UnreachableConnectionString());
        using var client = factory.CreateClient();

        var live = await client.GetAsync("/health/live").WaitAsync(Timeout);
        var ready = await client.GetAsync("/health/ready").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    [Fact]
    public async Task Live_answers_at_once_while_PostgreSQL_accepts_connections_but_never_answers()
    {
        // The OS completes the connections (backlog) and nobody answers them, so the cluster client's first
        // membership read waits for the connection string's Timeout; ClusterClientStarter keeps that off the host's start.
        using var silentServer = new TcpListener(IPAddress.Loopback, 0);
        silentServer.Start();
        var port = ((IPEndPoint)silentServer.LocalEndpoint).Port;
        var started = Stopwatch.StartNew();

        await using var factory = CreateFactory($"Host=127.0.0.1;Port={port};Username=postgres;Database=chat;Timeout=100");
        try
        {
            using var client = factory.CreateClient();
            var live = await client.GetAsync("/health/live").WaitAsync(Timeout);

            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"The frontend took {started.Elapsed} to answer /health/live.");
        }
        finally
        {
            // Resets the pending connections, so the read fails now and the frontend stops without waiting for the Timeout.
            silentServer.Stop();
        }
    }

    [Fact]
    public async Task Startup_fails_naming_the_option_when_the_connection_string_is_missing()
    {
        var failure = await HostStartup.StartFailureAsync(
            builder => builder.AddChatFrontend(),
            app => app.MapChatHealth(),
            new Dictionary<string, string?> { ["Chat:Database:ConnectionString"] = "", ["Chat:Frontend:Name"] = "frontend-test" });

        Assert.NotNull(failure);
        Assert.Contains("Chat:Database:ConnectionString is required", HostStartup.AllMessages(failure), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/api/nothing-here")]
    [InlineData("POST", "/api/conversations/00000000-0000-0000-0000-000000000000/nothing")]
    [InlineData("GET", "/api")]
    public async Task Unknown_api_routes_answer_404_in_the_error_shape(string method, string path)
    {
        await using var factory = CreateFactory(database.ConnectionString);
        using var client = factory.CreateClient();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)).WaitAsync(Timeout);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = body.RootElement.GetProperty("error");
        Assert.Equal("NOT_FOUND", error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
    }

    private static WebApplicationFactory<Program> CreateFactory(string connectionString) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
            builder.ConfigureAppConfiguration((_, configuration) =>
                configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Chat:Database:ConnectionString"] = connectionString,
                    ["Chat:Database:HealthCheckTimeoutSeconds"] = "5",
                    ["Chat:Frontend:Name"] = "frontend-test",
                })));
}
