using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Chat.Client;
using Chat.LoadTest.Cli;

namespace Chat.LoadTest.Workload;

/// <summary>A provisioned user.</summary>
internal sealed record ProvisionedUser(int Index, string Username, Guid Id, string Token);

/// <summary>A provisioned conversation and its participants (user ids).</summary>
internal sealed record ProvisionedConversation(ConversationPlan Plan, Guid Id, Guid[] Participants);

/// <summary>The users, their organization and their conversations.</summary>
internal sealed record ProvisionedWorld(Guid OrganizationId, IReadOnlyList<ProvisionedUser> Users, IReadOnlyList<ProvisionedConversation> Conversations);

/// <summary>Provisioning failed in a way the operator must fix (e.g. a group larger than the server allows).</summary>
internal sealed class ProvisioningException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Registers (or logs in) this process's users, puts them in one organization and creates their DMs
/// and groups through the REST API. Everything is cached in a state file (users, tokens, organization,
/// conversation ids), so a second run with the same prefix only checks the cache — registration
/// hashes passwords slowly on purpose and 10,000 of them take minutes.
/// </summary>
internal sealed class Provisioner(LoadTestOptions options, HttpClient http, TextWriter output)
{
    private static readonly TimeSpan TokenMargin = TimeSpan.FromHours(1);

    public async Task<ProvisionedWorld> ProvisionAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var count = options.UsersOfThisProcess;
        var statePath = Path.Combine(options.StateDirectory, $"{options.ProcessPrefix}.json");
        var state = await LoadStateAsync(statePath, cancellationToken);
        var serverKey = options.Urls[0].GetLeftPart(UriPartial.Authority);
        if (state.ServerKey != serverKey || !await CacheStillValidAsync(state, cancellationToken))
        {
            state = new ProvisionState { ServerKey = serverKey };
        }

        var usernames = Enumerable.Range(0, count).Select(UsernameOf).ToArray();
        try
        {
            var registered = await ProvisionAccountsAsync(state, usernames, cancellationToken);
            var owner = Api(0, state.Users[usernames[0]].Token);
            state.OrganizationId ??= (await Retry(() => owner.CreateOrganizationAsync($"Load test {options.ProcessPrefix}", cancellationToken), cancellationToken)).Id;
            var organizationId = state.OrganizationId.Value;
            await ProvisionMembersAsync(state, usernames, owner, organizationId, cancellationToken);
            var plans = Topology.Plan(count, options.DirectPerUser, options.Groups.For(count));
            var created = await ProvisionConversationsAsync(state, usernames, plans, organizationId, cancellationToken);

            var users = usernames.Select((name, i) => new ProvisionedUser(i, name, state.Users[name].Id, state.Users[name].Token)).ToArray();
            var conversations = plans
                .Select(plan => new ProvisionedConversation(plan, state.Conversations[plan.Key], [.. plan.Members.Select(m => users[m].Id)]))
                .ToArray();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Provisioned {count:N0} users ({registered:N0} new or logged in) and {plans.Count:N0} conversations ({created:N0} new) in {watch.Elapsed.TotalSeconds:0.#} s; cache {statePath}"));
            return new ProvisionedWorld(organizationId, users, conversations);
        }
        finally
        {
            // Even a failed run keeps what it provisioned: the next run continues from there.
            await SaveStateAsync(statePath, state);
        }
    }

    private string UsernameOf(int index) => $"{options.ProcessPrefix}_{index:D6}";

    private ChatApiClient Api(int userIndex, string? token = null) =>
        new(http, options.Urls[(userIndex + options.ProcessIndex) % options.Urls.Count], token);

    /// <summary>A cached token of the first user still works: the database was not reset since.</summary>
    private async Task<bool> CacheStillValidAsync(ProvisionState state, CancellationToken cancellationToken)
    {
        if (!state.Users.TryGetValue(UsernameOf(0), out var first))
        {
            return true;
        }

        try
        {
            var me = await Api(0, first.Token).GetMeAsync(cancellationToken);
            return me.Id == first.Id;
        }
        catch (ChatApiException exception) when (exception.StatusCode == HttpStatusCode.Unauthorized)
        {
            output.WriteLine("The cached tokens are no longer accepted (a fresh database?): provisioning from scratch.");
            return false;
        }
    }

    private async Task<int> ProvisionAccountsAsync(ProvisionState state, string[] usernames, CancellationToken cancellationToken)
    {
        var missing = usernames
            .Select((name, index) => (name, index))
            .Where(u => !state.Users.TryGetValue(u.name, out var cached) || cached.ExpiresAt is { } expires && expires < DateTimeOffset.UtcNow + TokenMargin)
            .ToArray();
        var results = new ConcurrentBag<(string Name, CachedUser User)>();
        await Parallel.ForEachAsync(missing, Parallelism(cancellationToken), async (user, ct) =>
        {
            var api = Api(user.index);
            AuthResponse auth;
            try
            {
                auth = await Retry(() => api.RegisterAsync(new RegisterRequest(user.name, options.Password), ct), ct);
            }
            catch (ChatApiException exception) when (exception.StatusCode == HttpStatusCode.Conflict || exception.Code is ChatErrorCodes.Conflict)
            {
                auth = await Retry(() => api.LoginAsync(user.name, options.Password, ct), ct);
            }

            results.Add((user.name, new CachedUser(auth.User.Id, auth.Token, auth.ExpiresAt)));
        });
        foreach (var (name, user) in results)
        {
            state.Users[name] = user;
        }

        return missing.Length;
    }

    private async Task ProvisionMembersAsync(ProvisionState state, string[] usernames, ChatApiClient owner, Guid organizationId, CancellationToken cancellationToken)
    {
        state.Members.Add(usernames[0]);
        var missing = usernames.Where(name => !state.Members.Contains(name)).ToArray();
        var added = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(missing, Parallelism(cancellationToken), async (name, ct) =>
        {
            try
            {
                await Retry(() => owner.AddMemberAsync(organizationId, name, cancellationToken: ct), ct);
            }
            catch (ChatApiException exception) when (exception.StatusCode == HttpStatusCode.Conflict)
            {
                // Already a member (an earlier run stopped before saving its cache).
            }

            added.Add(name);
        });
        state.Members.UnionWith(added);
    }

    private async Task<int> ProvisionConversationsAsync(
        ProvisionState state, string[] usernames, IReadOnlyList<ConversationPlan> plans, Guid organizationId, CancellationToken cancellationToken)
    {
        var missing = plans.Where(plan => !state.Conversations.ContainsKey(plan.Key)).ToArray();
        var created = new ConcurrentBag<(string Key, Guid Id)>();
        try
        {
            await Parallel.ForEachAsync(missing, Parallelism(cancellationToken), async (plan, ct) =>
            {
                var creator = plan.Members[0];
                var api = Api(creator, state.Users[usernames[creator]].Token);
                var others = plan.Members.Skip(1).Select(m => state.Users[usernames[m]].Id).ToArray();
                Guid id;
                try
                {
                    id = plan.IsDirect
                        ? (await Retry(() => api.OpenDirectAsync(others[0], organizationId, ct), ct)).Conversation.Id
                        : (await Retry(() => api.CreateGroupAsync(new CreateGroupRequest(organizationId, $"Load {plan.Key}", others), ct), ct)).Id;
                }
                catch (ChatApiException exception) when (!plan.IsDirect && exception.Code == ChatErrorCodes.ValidationError)
                {
                    throw new ProvisioningException(
                        $"The server refused a group of {plan.Members.Count} members: {exception.Error.Message} " +
                        "Raise the server's group limit (Chat:Limits) for load tests, or pass a smaller --groups mix.", exception);
                }

                created.Add((plan.Key, id));
            });
        }
        finally
        {
            foreach (var (key, id) in created)
            {
                state.Conversations[key] = id;
            }
        }

        return created.Count;
    }

    private ParallelOptions Parallelism(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = options.ProvisionParallelism, CancellationToken = cancellationToken };

    /// <summary>Retries what a busy or restarting system answers (503, connection refused) a few times.</summary>
    private static async Task<T> Retry<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception exception) when (attempt < 5 && exception is HttpRequestException or ChatApiException { StatusCode: HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests })
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt * attempt), cancellationToken);
            }
        }
    }

    private static async Task<ProvisionState> LoadStateAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return new ProvisionState();
        }

        try
        {
            await using var stream = File.OpenRead(path);
            return await JsonSerializer.DeserializeAsync(stream, ProvisionStateJson.Default.ProvisionState, cancellationToken) ?? new ProvisionState();
        }
        catch (JsonException)
        {
            return new ProvisionState();
        }
    }

    /// <summary>Saved even when the run was cancelled (hence no token): a half-written cache is worse than none.</summary>
    private static async Task SaveStateAsync(string path, ProvisionState state)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        await using (var stream = File.Create(temporary))
        {
            await JsonSerializer.SerializeAsync(stream, state, ProvisionStateJson.Default.ProvisionState, CancellationToken.None);
        }

        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>The provisioning cache of one process prefix.</summary>
internal sealed class ProvisionState
{
    /// <summary>The system the cache belongs to (scheme, host and port of the first frontend).</summary>
    public string? ServerKey { get; set; }

    public Guid? OrganizationId { get; set; }

    public Dictionary<string, CachedUser> Users { get; set; } = new(StringComparer.Ordinal);

    public HashSet<string> Members { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, Guid> Conversations { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A user's id and token as cached.</summary>
internal sealed record CachedUser(Guid Id, string Token, DateTimeOffset? ExpiresAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ProvisionState))]
internal sealed partial class ProvisionStateJson : JsonSerializerContext;
