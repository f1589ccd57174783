using System.Net;
using Chat.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Chat.Frontend.Tests.Hosting;

/// <summary>
/// The web UI's serving (the UI itself is tested in a browser by tests/browser): <c>index.html</c> at <c>/</c>
/// and at client-side paths, with a strict Content-Security-Policy, while <c>/api</c>, <c>/hubs</c>,
/// <c>/health</c> and <c>/metrics</c> keep their own answers. Uses a temporary web root, so it does not
/// depend on the npm build.
/// </summary>
public sealed class WebUiTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string IndexHtml = "<!doctype html><title>Chat</title><div id=app></div>";
    private readonly string _webRoot = Directory.CreateTempSubdirectory("chat-webroot-").FullName;

    public void Dispose() => Directory.Delete(_webRoot, recursive: true);

    [Theory]
    [InlineData("/")]
    [InlineData("/c/some-client-route")]
    public async Task The_page_is_served_with_a_content_security_policy_that_allows_only_own_scripts(string path)
    {
        await using var factory = CreateFactory(withIndex: true);
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(path).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(IndexHtml, await response.Content.ReadAsStringAsync().WaitAsync(Timeout));
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assets_are_served_as_files_and_cached_by_their_hashed_names()
    {
        await using var factory = CreateFactory(withIndex: true);
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/assets/app-1234.js").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("console.log(1)", await response.Content.ReadAsStringAsync().WaitAsync(Timeout));
        Assert.Contains("immutable", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/hubs/nothing-here")]
    [InlineData("/health/nothing-here")]
    [InlineData("/metrics/nothing-here")]
    [InlineData("/assets/missing.js")]
    public async Task Reserved_paths_and_missing_files_are_not_answered_with_the_page(string path)
    {
        await using var factory = CreateFactory(withIndex: true);
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(path).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(IndexHtml, await response.Content.ReadAsStringAsync().WaitAsync(Timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_routes_keep_their_json_errors()
    {
        await using var factory = CreateFactory(withIndex: true);
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/api/nothing-here").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("NOT_FOUND", await response.Content.ReadAsStringAsync().WaitAsync(Timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_built_ui_the_page_says_how_to_build_it()
    {
        await using var factory = CreateFactory(withIndex: false);
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("npm run build", await response.Content.ReadAsStringAsync().WaitAsync(Timeout), StringComparison.Ordinal);
    }

    private WebApplicationFactory<Program> CreateFactory(bool withIndex)
    {
        if (withIndex)
        {
            File.WriteAllText(Path.Combine(_webRoot, "index.html"), IndexHtml);
            Directory.CreateDirectory(Path.Combine(_webRoot, "assets"));
            File.WriteAllText(Path.Combine(_webRoot, "assets", "app-1234.js"), "console.log(1)");
        }

        return new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            // Production, as ./chat up runs it: in Development the project's static web assets (the real UI build) join the web root.
            builder.UseEnvironment("Production");
            builder.UseSetting(WebHostDefaults.WebRootKey, _webRoot);
            builder.ConfigureAppConfiguration((_, configuration) =>
                configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Chat:Database:ConnectionString"] = database.ConnectionString,
                    ["Chat:Database:HealthCheckTimeoutSeconds"] = "5",
                    ["Chat:Frontend:Name"] = "frontend-webui-test",
                }));
        });
    }
}
