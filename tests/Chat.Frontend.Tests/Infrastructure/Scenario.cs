using System.Net;
using System.Text.Json;

namespace Chat.Frontend.Tests.Infrastructure;

/// <summary>A registered user and their bearer token.</summary>
public sealed record TestUser(Guid Id, string Username, string Token);

/// <summary>Builds scenarios through the public API only.</summary>
public static class Scenario
{
    public const string Password = "correct horse battery";

    public static async Task<TestUser> RegisterAsync(this FrontendHost frontend, string prefix = "user")
    {
        var username = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(50, prefix.Length + 13)];
        using var client = frontend.Client();
        var body = (await client.PostAsync("/api/auth/register", new { username, password = Password })).Expect(HttpStatusCode.Created);
        return new TestUser(body.GetProperty("user").GetProperty("id").GetGuid(), username, body.GetProperty("token").GetString()!);
    }

    public static ApiClient Client(this FrontendHost frontend, TestUser user) => frontend.Client(user.Token);

    /// <summary>An organization owned by <paramref name="owner"/> with the others as members.</summary>
    public static async Task<Guid> OrganizationAsync(this FrontendHost frontend, TestUser owner, params TestUser[] members)
    {
        using var client = frontend.Client(owner);
        var id = (await client.PostAsync("/api/organizations", new { name = "Org " + Guid.NewGuid().ToString("N")[..6] })).Expect(HttpStatusCode.Created).GetProperty("id").GetGuid();
        foreach (var member in members)
        {
            (await client.PostAsync($"/api/organizations/{id}/members", new { username = member.Username })).Expect(HttpStatusCode.Created);
        }

        return id;
    }

    public static async Task<Guid> GroupAsync(this FrontendHost frontend, Guid organizationId, TestUser owner, string name, params TestUser[] others)
    {
        using var client = frontend.Client(owner);
        return (await client.PostAsync("/api/conversations/group", new { organizationId, name, participantIds = others.Select(o => o.Id) }))
            .Expect(HttpStatusCode.Created).GetProperty("id").GetGuid();
    }

    public static async Task<Guid> DirectAsync(this FrontendHost frontend, TestUser from, TestUser to)
    {
        using var client = frontend.Client(from);
        var response = await client.PostAsync("/api/conversations/direct", new { userId = to.Id });
        Assert.True(response.Status is HttpStatusCode.Created or HttpStatusCode.OK, response.Text);
        return response.Json.GetProperty("id").GetGuid();
    }

    public static async Task<JsonElement> SendAsync(this FrontendHost frontend, Guid conversationId, TestUser sender, string content)
    {
        using var client = frontend.Client(sender);
        return (await client.PostAsync($"/api/conversations/{conversationId}/messages", new { clientMessageId = Guid.NewGuid().ToString("N"), content }))
            .Expect(HttpStatusCode.Created);
    }
}
