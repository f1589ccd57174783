using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Chat.Frontend.Tests.Infrastructure;

/// <summary>A raw HTTP client of the API: JSON in, status and JSON out — as an independent client sees it.</summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(Uri baseAddress, string? token)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = ChatSystem.Timeout };
        Token = token;
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public string? Token { get; }

    public Task<ApiResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<ApiResponse> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body);

    public Task<ApiResponse> PatchAsync(string path, object? body) => SendAsync(HttpMethod.Patch, path, body);

    public Task<ApiResponse> PutAsync(string path, object? body = null) => SendAsync(HttpMethod.Put, path, body);

    public Task<ApiResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is string raw)
        {
            request.Content = new StringContent(raw, Encoding.UTF8, "application/json");
        }
        else if (body is HttpContent content)
        {
            request.Content = content;
        }
        else if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, JsonSerializerOptions.Web), Encoding.UTF8, "application/json");
        }

        return await SendAsync(request);
    }

    public async Task<ApiResponse> SendAsync(HttpRequestMessage request)
    {
        using var response = await _http.SendAsync(request).WaitAsync(ChatSystem.Timeout);
        var bytes = await response.Content.ReadAsByteArrayAsync().WaitAsync(ChatSystem.Timeout);
        return new ApiResponse(response.StatusCode, response.Headers, response.Content.Headers, bytes);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>An answer of the API.</summary>
public sealed class ApiResponse(HttpStatusCode status, HttpResponseHeaders headers, HttpContentHeaders contentHeaders, byte[] body)
{
    public HttpStatusCode Status { get; } = status;

    public HttpResponseHeaders Headers { get; } = headers;

    public HttpContentHeaders ContentHeaders { get; } = contentHeaders;

    public byte[] Body { get; } = body;

    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The body as JSON (fails the test when it is not JSON).</summary>
    public JsonElement Json
    {
        get
        {
            try
            {
                using var document = JsonDocument.Parse(Body);
                return document.RootElement.Clone();
            }
            catch (JsonException)
            {
                Assert.Fail($"Expected JSON, got {(int)Status}: {Text}");
                throw;
            }
        }
    }

    public string? Header(string name) =>
        Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : ContentHeaders.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault() : null;

    /// <summary>Asserts the status, and returns the body.</summary>
    public JsonElement Expect(HttpStatusCode status)
    {
        Assert.True(status == Status, $"Expected {(int)status}, got {(int)Status}: {Text}");
        return Body.Length == 0 ? default : Json;
    }

    /// <summary>Asserts the SPEC section 7 error shape with this status and code, and returns the error object.</summary>
    public JsonElement ExpectError(HttpStatusCode status, string code)
    {
        Assert.True(status == Status, $"Expected {(int)status} {code}, got {(int)Status}: {Text}");
        Assert.Equal("application/json", ContentHeaders.ContentType?.MediaType);
        var error = Json.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.DoesNotContain("   at ", Text, StringComparison.Ordinal); // no stack traces
        Assert.DoesNotContain("SELECT ", Text, StringComparison.OrdinalIgnoreCase); // no SQL
        return error;
    }
}

/// <summary>Polling with generous deadlines, for effects that arrive asynchronously.</summary>
public static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? Deadline);
        Exception? last = null;
        while (DateTime.UtcNow < until)
        {
            try
            {
                if (await condition().WaitAsync(ChatSystem.Timeout))
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is not Xunit.Sdk.XunitException)
            {
                last = exception;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"Timed out waiting for {what}." + (last is null ? "" : $" Last error: {last.Message}"));
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? deadline = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, deadline);
}
