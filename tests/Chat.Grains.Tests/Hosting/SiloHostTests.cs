using System.Net;
using Chat.Testing;
using Chat.Silo.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Chat.Grains.Tests.Hosting;

/// <summary>The real silo host, started in-process against a throwaway database.</summary>
public sealed class SiloHostTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Live_and_ready_answer_200_when_the_database_is_reachable()
    {
        await using var factory = CreateFactory(database.ConnectionString);
        using var client = factory.CreateClient();

        var live = await client.GetAsync("/health/live").WaitAsync(Timeout);
        var ready = await client.GetAsync("/health/ready").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("\"postgres\"", await ready.Content.ReadAsStringAsync().WaitAsync(Timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_answer_in_the_prometheus_text_format()
    {
        await using var factory = CreateFactory(database.ConnectionString);
        using var client = factory.CreateClient();

        var response = await client.GetAsync("/metrics").WaitAsync(Timeout);
        var text = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        // Orleans' own meter: the silo's activations (at least the system's) and its messaging.
        Assert.Matches(@"(?m)^# TYPE orleans_\w+ ", text);
        Assert.Contains("orleans_catalog_activations", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_answers_503_while_live_answers_200_when_the_database_becomes_unreachable_and_200_again_once_it_is_back()
    {
        // The silo needs its database to start (migrations); losing it afterwards makes it unready, not dead.
        var connectionString = await database.Server.CreateDatabaseAsync("silo_outage").WaitAsync(Timeout);
        var name = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var factory = CreateFactory(connectionString);
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready").WaitAsync(Timeout)).StatusCode);

        try
        {
            await AdminAsync($"ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false",
                $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
            var live = await client.GetAsync("/health/live").WaitAsync(Timeout);
            var ready = await client.GetAsync("/health/ready").WaitAsync(Timeout);

            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }
        finally
        {
            // Back before the silo stops: it leaves the membership table gracefully.
            await AdminAsync($"ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true");
        }

        var deadline = DateTime.UtcNow + Timeout;
        while ((await client.GetAsync("/health/ready").WaitAsync(Timeout)).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "ready again once the database is back");
            await Task.Delay(100);
        }
    }

    private async Task AdminAsync(params string[] statements)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database.Server.ConnectionString);
        await connection.OpenAsync().WaitAsync(Timeout);
        foreach (var sql in statements)
        {
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync().WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task Startup_fails_when_the_database_is_unreachable()
    {
        var failure = await HostStartup.StartFailureAsync(
            builder => builder.AddChatSiloHost(),
            app => app.MapChatSiloEndpoints(),
            SiloSettings(HostStartup.UnreachableConnectionString()));

        Assert.IsType<Npgsql.NpgsqlException>(failure, exactMatch: false);
    }

    [Fact]
    public async Task Startup_fails_naming_the_option_when_the_connection_string_is_missing()
    {
        var failure = await HostStartup.StartFailureAsync(
            builder => builder.AddChatSiloHost(),
            app => app.MapChatSiloEndpoints(),
            SiloSettings(""));

        Assert.NotNull(failure);
        Assert.Contains("Chat:Database:ConnectionString is required", HostStartup.AllMessages(failure), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_fails_naming_the_option_when_the_silo_ports_are_out_of_range_or_equal()
    {
        var settings = SiloSettings(database.ConnectionString);
        settings["Chat:Silo:SiloPort"] = "70000";
        var outOfRange = await HostStartup.StartFailureAsync(builder => builder.AddChatSiloHost(), app => app.MapChatSiloEndpoints(), settings);
        settings = SiloSettings(database.ConnectionString);
        settings["Chat:Silo:GatewayPort"] = settings["Chat:Silo:SiloPort"];
        var equal = await HostStartup.StartFailureAsync(builder => builder.AddChatSiloHost(), app => app.MapChatSiloEndpoints(), settings);

        Assert.NotNull(outOfRange);
        Assert.Contains("Chat:Silo:SiloPort must be between 1 and 65535", HostStartup.AllMessages(outOfRange), StringComparison.Ordinal);
        Assert.NotNull(equal);
        Assert.Contains("Chat:Silo:SiloPort and Chat:Silo:GatewayPort must differ", HostStartup.AllMessages(equal), StringComparison.Ordinal);
    }

    /// <summary>A silo of its own cluster on free ports (Orleans listens on real sockets even under the test server).</summary>
    private static Dictionary<string, string?> SiloSettings(string connectionString)
    {
        var ports = FreePorts.Take(2);
        return new Dictionary<string, string?>
        {
            ["Chat:Database:ConnectionString"] = connectionString,
            ["Chat:Database:HealthCheckTimeoutSeconds"] = "5",
            ["Chat:Silo:Name"] = "silo-test",
            ["Chat:Silo:ClusterId"] = "silo-test-" + Guid.NewGuid().ToString("N")[..8],
            ["Chat:Silo:SiloPort"] = ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Chat:Silo:GatewayPort"] = ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static WebApplicationFactory<Program> CreateFactory(string connectionString) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(builder => builder
            .ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(SiloSettings(connectionString)))
            .ConfigureLogging(logging => logging.ClearProviders()));
}
