using Chat.Grains.Tests.Infrastructure;
using Chat.Testing;
using Orleans.Serialization;

namespace Chat.Grains.Tests.Domain;

/// <summary>Domain errors cross processes intact: code, message, details and retry-after (SPEC section 7).</summary>
public sealed class DomainErrorTests(DomainErrorTests.RateLimitedSiloFixture fixture) : IClassFixture<DomainErrorTests.RateLimitedSiloFixture>
{
    private ChatSilo Silo => fixture.Silo;

    [Fact]
    public void A_domain_error_keeps_its_code_details_and_retry_after_across_the_orleans_serializer()
    {
        var serializer = Silo.Services.GetRequiredService<Serializer>();
        var original = new ChatException(ChatErrorCodes.RateLimited, "slow down", "content", 42);

        // As the exception of a response (typed as Exception) and as a value of its own type.
        var asException = Assert.IsType<ChatException>(serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(original)));
        var asItself = serializer.Deserialize<ChatException>(serializer.SerializeToArray(original))!;

        foreach (var rebuilt in new[] { asException, asItself })
        {
            Assert.NotSame(original, rebuilt);
            Assert.Equal(
                (original.Code, original.Message, original.Details, original.RetryAfterSeconds, 429),
                (rebuilt.Code, rebuilt.Message, rebuilt.Details, rebuilt.RetryAfterSeconds, rebuilt.HttpStatus));
        }

        var validation = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(ChatException.Validation("clientMessageId", "bad id")));
        Assert.Equal((ChatErrorCodes.ValidationError, "clientMessageId", (int?)null),
            (Assert.IsType<ChatException>(validation).Code, ((ChatException)validation).Details, ((ChatException)validation).RetryAfterSeconds));
    }

    [Fact]
    public async Task A_rate_limited_send_through_a_cluster_client_fails_with_RATE_LIMITED_and_its_retry_after()
    {
        // The cluster's client reaches the silo over a (in-memory) connection: the error is serialized
        // from the user's grain to the conversation, and from the silo to the client.
        var client = Silo.Cluster.Client;
        var a = await ChatSilo.RegisterAsync(client, "ann");
        var b = await ChatSilo.RegisterAsync(client, "ben");
        var org = await Silo.OrganizationAsync(a, b);
        var dm = (await Silo.DirectAsync(a, b, org)).Conversation;
        for (var i = 0; i < RateLimitedSiloFixture.MessagesPerMinute; i++)
        {
            await client.GetGrain<IConversationGrain>(dm.Id).SendMessage(a.Id, new SendMessageRequest($"ok-{i}", "within the limit")).WaitAsync(ChatSilo.Timeout);
        }

        var limited = await Expect.Error(ChatErrorCodes.RateLimited,
            () => client.GetGrain<IConversationGrain>(dm.Id).SendMessage(a.Id, new SendMessageRequest("over", "over the limit")));
        var direct = await Expect.Error(ChatErrorCodes.RateLimited, () => client.GetGrain<IUserGrain>(a.Id).AcquireSendPermit());

        Assert.Equal(429, limited.HttpStatus);
        Assert.InRange(limited.RetryAfterSeconds ?? 0, 1, 60);
        Assert.Contains($"at most {RateLimitedSiloFixture.MessagesPerMinute}", limited.Message, StringComparison.Ordinal);
        Assert.InRange(direct.RetryAfterSeconds ?? 0, 1, 60);
        var notParticipant = await Expect.Error(ChatErrorCodes.NotParticipant,
            () => client.GetGrain<IConversationGrain>(dm.Id).SendMessage(Guid.NewGuid(), new SendMessageRequest("x", "x")));
        Assert.Equal(403, notParticipant.HttpStatus);
    }

    /// <summary>A silo whose rate limit is reached after two messages.</summary>
    public sealed class RateLimitedSiloFixture : PostgresDatabaseFixture
    {
        public const int MessagesPerMinute = 2;
        private ChatSilo? _silo;

        public ChatSilo Silo => _silo ?? throw new InvalidOperationException("Not initialized.");

        protected override string DatabasePrefix => "errors";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            _silo = await ChatSilo.StartAsync(ConnectionString, new Dictionary<string, string?>
            {
                ["Chat:Limits:MessagesPerMinute"] = MessagesPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
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
}
