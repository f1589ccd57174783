using System.Collections.Immutable;
using Chat.Grains.Events;
using Chat.Grains.Hosting;
using Chat.Runtime;
using Chat.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Grains.Tests.Infrastructure;

/// <summary>One silo with the chat domain in this process, on a test database.</summary>
public sealed class ChatSilo : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly IHost _host;
    private bool _stopped;

    private ChatSilo(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    public RecordingUserEventPublisher Events => Services.GetRequiredService<RecordingUserEventPublisher>();

    public static async Task<ChatSilo> StartAsync(string connectionString, Dictionary<string, string?>? configuration = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Chat:Database:ConnectionString"] = connectionString,
            ["Chat:Silo:Name"] = "grains-test",
            // Fast hashes and a generous rate limit unless a test says otherwise.
            ["Chat:Auth:PasswordHashIterations"] = "1000",
            ["Chat:Limits:MessagesPerMinute"] = "10000",
        });
        builder.Configuration.AddInMemoryCollection(configuration ?? []);
        builder.Services.AddChatSilo(silo => silo.AddChatDomain().AddPostgresGrainStorage());
        // Domain tests read the user events from the in-memory recorder, whether or not streams are registered.
        builder.Services.AddSingleton<IUserEventPublisher>(sp => sp.GetRequiredService<RecordingUserEventPublisher>());
        var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return new ChatSilo(host);
    }

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }

    // ---- conveniences ---------------------------------------------------------------------------

    public IUserGrain User(Guid id) => Grains.GetGrain<IUserGrain>(id);

    public IConversationGrain Conversation(Guid id) => Grains.GetGrain<IConversationGrain>(id);

    public IOrganizationGrain Organization(Guid id) => Grains.GetGrain<IOrganizationGrain>(id);

    public async Task<UserProfile> RegisterAsync(string prefix = "user")
    {
        var username = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(50, prefix.Length + 13)];
        return await Grains.GetGrain<IAccountGrain>(AccountKey.For(username)).Register(new RegisterRequest(username, "correct horse battery")).WaitAsync(Timeout);
    }

    /// <summary>An organization owned by the first user with the others as members.</summary>
    public async Task<Guid> OrganizationAsync(UserProfile owner, params UserProfile[] members)
    {
        var id = Guid.NewGuid();
        await Organization(id).Create(owner.Id, "Org " + id.ToString("N")[..6]).WaitAsync(Timeout);
        foreach (var member in members)
        {
            await Organization(id).AddMember(owner.Id, member.Username).WaitAsync(Timeout);
        }

        return id;
    }

    /// <summary>A group of the first user with the others.</summary>
    public async Task<ConversationDetails> GroupAsync(Guid organizationId, UserProfile owner, string name, params UserProfile[] others)
    {
        var id = Guid.NewGuid();
        return await Conversation(id).CreateGroup(owner.Id, new CreateGroupRequest(organizationId, name, [.. others.Select(o => o.Id)])).WaitAsync(Timeout);
    }

    public Task<OpenDirectResult> DirectAsync(UserProfile from, UserProfile to, Guid? organizationId = null) =>
        Grains.OpenDirectConversationAsync(from.Id, to.Id, organizationId).WaitAsync(Timeout);

    public async Task<MessageDto> SendAsync(Guid conversationId, UserProfile sender, string content, string? clientMessageId = null,
        ImmutableArray<Guid> attachments = default, Guid? replyTo = null) =>
        (await Conversation(conversationId).SendMessage(sender.Id, new SendMessageRequest(clientMessageId ?? Guid.NewGuid().ToString("N"), content, attachments, replyTo))
            .WaitAsync(Timeout)).Message;

    /// <summary>Polls until <paramref name="condition"/> holds (for effects of one-way notifications).</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        T value = await probe().WaitAsync(Timeout);
        while (!condition(value))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}; last value: {value}");
            }

            await Task.Delay(20);
            value = await probe().WaitAsync(Timeout);
        }

        return value;
    }

    public Task<Inbox> InboxWhenAsync(UserProfile user, Func<Inbox, bool> condition, string what) =>
        EventuallyAsync(() => User(user.Id).GetInbox(), condition, what);
}

/// <summary>A fresh database and one running silo for a test class.</summary>
public sealed class ChatSiloFixture : Chat.Testing.PostgresDatabaseFixture
{
    private ChatSilo? _silo;

    public ChatSilo Silo => _silo ?? throw new InvalidOperationException("Not initialized.");

    protected override string DatabasePrefix => "grains";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _silo = await ChatSilo.StartAsync(ConnectionString);
    }

    public override async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}

/// <summary>Asserts a call fails with a <see cref="ChatException"/> of the given code.</summary>
public static class Expect
{
    public static async Task<ChatException> Error(string code, Func<Task> call)
    {
        var exception = await Assert.ThrowsAsync<ChatException>(() => call().WaitAsync(ChatSilo.Timeout));
        Assert.Equal(code, exception.Code);
        return exception;
    }
}
