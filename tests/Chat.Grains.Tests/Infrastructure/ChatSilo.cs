using System.Collections.Immutable;
using System.Data.Common;
using Chat.Grains.Events;
using Chat.Grains.Hosting;
using Chat.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.TestingHost;

namespace Chat.Grains.Tests.Infrastructure;

/// <summary>What a <see cref="ChatSilo"/> starts with besides its database.</summary>
public sealed record ChatSiloSetup
{
    /// <summary>Silos of the in-process cluster (one for the domain tests).</summary>
    public short Silos { get; init; } = 1;

    /// <summary>Configuration on top of the defaults of <see cref="ChatSilo.DefaultConfiguration"/>.</summary>
    public IReadOnlyDictionary<string, string?> Configuration { get; init; } = new Dictionary<string, string?>();

    /// <summary>More silo configuration (a test's call filter, …).</summary>
    public Action<ISiloBuilder>? ConfigureSilo { get; init; }
}

/// <summary>
/// The chat domain on an Orleans <see cref="InProcessTestCluster"/> (one silo unless told
/// otherwise) on a test database: the schema applied first as a silo applies it, grain storage
/// <see cref="ChatGrainStorage.Name"/> as the silo configures it (ADO.NET in that database), no event streams (so the
/// user events go to the <see cref="RecordingUserEventPublisher"/>).
/// </summary>
public sealed class ChatSilo : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly InProcessTestCluster _cluster;
    private bool _stopped;

    private ChatSilo(InProcessTestCluster cluster) => _cluster = cluster;

    /// <summary>The configuration every test silo gets (fast hashes, a generous rate limit).</summary>
    public static IReadOnlyDictionary<string, string?> DefaultConfiguration { get; } = new Dictionary<string, string?>
    {
        ["Chat:Auth:PasswordHashIterations"] = "1000",
        ["Chat:Limits:MessagesPerMinute"] = "10000",
    };

    /// <summary>The test cluster (for multi-silo tests).</summary>
    public InProcessTestCluster Cluster => _cluster;

    /// <summary>The first silo's services.</summary>
    public IServiceProvider Services => _cluster.Silos[0].SiloHost.Services;

    /// <summary>The first silo's grain factory: calls from inside the silo, as the old in-process silo made them.</summary>
    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    /// <summary>The user events the first silo's user grains published.</summary>
    public RecordingUserEventPublisher Events => Services.GetRequiredService<RecordingUserEventPublisher>();

    public static Task<ChatSilo> StartAsync(string connectionString, Dictionary<string, string?>? configuration = null) =>
        StartClusterAsync(connectionString, new ChatSiloSetup { Configuration = configuration ?? [] });

    public static async Task<ChatSilo> StartClusterAsync(string connectionString, ChatSiloSetup setup)
    {
        DbProviderFactories.RegisterFactory(OrleansConfiguration.Invariant, NpgsqlFactory.Instance);
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await SchemaMigrationService.ApplyAllAsync(dataSource, CancellationToken.None).WaitAsync(StartTimeout);
        }

        var settings = new Dictionary<string, string?>(DefaultConfiguration)
        {
            ["Chat:Database:ConnectionString"] = connectionString,
        };
        foreach (var (key, value) in setup.Configuration)
        {
            settings[key] = value;
        }

        var builder = new InProcessTestClusterBuilder(setup.Silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSiloHost((_, host) => host.Configuration.AddInMemoryCollection(settings));
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddChatDomain();
            silo.AddChatGrainStorage();
            setup.ConfigureSilo?.Invoke(silo);
        });
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync().WaitAsync(StartTimeout);
        }
        catch
        {
            await cluster.DisposeAsync().AsTask().WaitAsync(StartTimeout);
            throw;
        }

        return new ChatSilo(cluster);
    }

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _cluster.StopAllSilosAsync().WaitAsync(TimeSpan.FromSeconds(90));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _cluster.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(90));
    }

    // ---- conveniences ---------------------------------------------------------------------------

    public IUserGrain User(Guid id) => Grains.GetGrain<IUserGrain>(id);

    public IConversationGrain Conversation(Guid id) => Grains.GetGrain<IConversationGrain>(id);

    public IOrganizationGrain Organization(Guid id) => Grains.GetGrain<IOrganizationGrain>(id);

    public Task<UserProfile> RegisterAsync(string prefix = "user") => RegisterAsync(Grains, prefix);

    /// <summary>Registers a fresh user through <paramref name="grains"/>.</summary>
    public static async Task<UserProfile> RegisterAsync(IGrainFactory grains, string prefix = "user")
    {
        var username = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(50, prefix.Length + 13)];
        return await grains.GetGrain<IAccountGrain>(AccountKey.For(username)).Register(new RegisterRequest(username, "correct horse battery")).WaitAsync(Timeout);
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
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
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
