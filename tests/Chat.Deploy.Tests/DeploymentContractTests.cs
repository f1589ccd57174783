using System.Reflection;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Chat.Deploy.Tests;

/// <summary>
/// The Dockerfiles, the compose file, the Kubernetes manifests and the ./chat script set
/// configuration through environment variables (Chat__Section__Key) and expose ports. These tests
/// parse them and check every key against the options classes the code binds, and every port and
/// probe against what the hosts serve, so a renamed option or port cannot silently break a deployment.
/// </summary>
public sealed partial class DeploymentContractTests
{
    private static readonly string Root = FindRoot();

    private static readonly Assembly[] HostAssemblies =
    [
        typeof(Chat.Runtime.Hosting.SiloOptions).Assembly,
        typeof(Chat.Grains.Hosting.ChatDomainExtensions).Assembly,
        typeof(Chat.Silo.Hosting.SiloHostingExtensions).Assembly,
        typeof(Chat.Frontend.Hosting.FrontendOptions).Assembly,
    ];

    public static TheoryData<string> DeploymentFiles => new()
    {
        "deploy/compose.yaml",
        "deploy/kubernetes/silo.yaml",
        "deploy/kubernetes/frontend.yaml",
        "deploy/docker/silo.Dockerfile",
        "deploy/docker/frontend.Dockerfile",
        "chat",
    };

    [Theory]
    [MemberData(nameof(DeploymentFiles))]
    public void Every_configuration_variable_names_an_option_the_code_binds(string file)
    {
        var text = File.ReadAllText(Path.Combine(Root, file));
        var variables = ChatVariable().Matches(text).Select(m => m.Value).Distinct().ToList();
        if (!file.EndsWith("Dockerfile", StringComparison.Ordinal))
        {
            Assert.NotEmpty(variables);
        }

        var sections = OptionSections();
        foreach (var variable in variables)
        {
            var parts = variable.Split("__");
            var section = string.Join(':', parts[..^1]);
            Assert.True(
                sections.TryGetValue(section, out var options),
                $"{file}: {variable} sets section {section}, which no options class binds (known: {string.Join(", ", sections.Keys.Order())})");
            Assert.True(
                options!.Any(o => o.GetProperty(parts[^1], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is not null),
                $"{file}: {variable} names {parts[^1]}, which {string.Join(", ", options!.Select(o => o.Name))} does not have");
        }
    }

    [Fact]
    public void The_silo_manifest_exposes_the_cluster_port_it_configures_and_probes_the_health_routes()
    {
        var container = Container("deploy/kubernetes/silo.yaml", "StatefulSet");
        var ports = Ports(container);
        Assert.Equal(Env(container)["Chat__Cluster__Port"], ports["cluster"]);
        Assert.Equal(UrlPort(Env(container)["ASPNETCORE_URLS"]), ports["http"]);
        AssertProbes(container);
        Assert.Equal("status.podIP", FieldRef(container, "Chat__Cluster__AdvertisedHost"));
        Assert.Contains("PodDisruptionBudget", Kinds("deploy/kubernetes/silo.yaml"));
    }

    [Fact]
    public void Silos_scale_in_one_at_a_time()
    {
        var text = File.ReadAllText(Path.Combine(Root, "deploy/kubernetes/silo.yaml"));
        Assert.Contains("kind: StatefulSet", text, StringComparison.Ordinal);
        Assert.Matches(@"podManagementPolicy:\s*OrderedReady", text);
    }

    [Fact]
    public void The_frontend_manifest_serves_on_the_port_its_service_and_probes_use()
    {
        var container = Container("deploy/kubernetes/frontend.yaml", "Deployment");
        var ports = Ports(container);
        Assert.Equal(UrlPort(Env(container)["ASPNETCORE_URLS"]), ports["http"]);
        AssertProbes(container);
        Assert.Contains("PodDisruptionBudget", Kinds("deploy/kubernetes/frontend.yaml"));
        Assert.Contains("Service", Kinds("deploy/kubernetes/frontend.yaml"));
    }

    [Fact]
    public void Compose_silos_advertise_their_own_service_name_and_share_one_cluster_and_database()
    {
        var services = (YamlMappingNode)Load("deploy/compose.yaml")["services"];
        var silos = services.Children.Where(s => s.Key.ToString().StartsWith("silo", StringComparison.Ordinal)).ToList();
        var frontends = services.Children.Where(s => s.Key.ToString().StartsWith("frontend", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, silos.Count);
        Assert.Equal(2, frontends.Count);
        var clusters = new HashSet<string>();
        var databases = new HashSet<string>();
        foreach (var (name, node) in silos.Concat(frontends))
        {
            var environment = (YamlMappingNode)((YamlMappingNode)node)["environment"];
            var values = environment.Children.ToDictionary(e => e.Key.ToString(), e => e.Value.ToString());
            // The YAML merge key pulls in the shared database settings.
            var merged = environment.Children.TryGetValue(new YamlScalarNode("<<"), out var shared)
                ? ((YamlMappingNode)shared).Children.ToDictionary(e => e.Key.ToString(), e => e.Value.ToString())
                : [];
            foreach (var (k, v) in merged)
            {
                values.TryAdd(k, v);
            }

            clusters.Add(values["Chat__Silo__ClusterId"]);
            databases.Add(values["Chat__Database__ConnectionString"]);
            if (name.ToString().StartsWith("silo", StringComparison.Ordinal))
            {
                Assert.Equal(name.ToString(), values["Chat__Cluster__AdvertisedHost"]);
                Assert.Equal("11111", values["Chat__Cluster__Port"]);
            }
        }

        Assert.Single(clusters);
        Assert.Single(databases);
    }

    [Theory]
    [InlineData("deploy/docker/silo.Dockerfile", "src/Chat.Silo", "Chat.Silo.dll")]
    [InlineData("deploy/docker/frontend.Dockerfile", "src/Chat.Frontend", "Chat.Frontend.dll")]
    public void Dockerfiles_publish_the_host_they_run_and_expose_its_ports(string file, string project, string dll)
    {
        var text = File.ReadAllText(Path.Combine(Root, file));
        Assert.Contains($"dotnet publish {project}", text, StringComparison.Ordinal);
        Assert.Contains($"\"{dll}\"", text, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(Root, project)), project);
        Assert.Contains("EXPOSE 8080", text, StringComparison.Ordinal);
        Assert.Contains("ASPNETCORE_URLS=http://+:8080", text, StringComparison.Ordinal);
    }

    private static void AssertProbes(YamlMappingNode container)
    {
        Assert.Equal("/health/ready", Scalar(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("/health/live", Scalar(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("http", Scalar(container, "readinessProbe", "httpGet", "port"));
        Assert.Equal("http", Scalar(container, "livenessProbe", "httpGet", "port"));
    }

    private static Dictionary<string, List<Type>> OptionSections() =>
        HostAssemblies.SelectMany(a => a.GetTypes())
            .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
            .GroupBy(x => (string)x.Field!.GetRawConstantValue()!)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Type).ToList());

    private static YamlMappingNode Load(string file)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Root, file))));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static List<string> Kinds(string file)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Root, file))));
        return yaml.Documents.Select(d => ((YamlMappingNode)d.RootNode)["kind"].ToString()).ToList();
    }

    private static YamlMappingNode Container(string file, string kind)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Root, file))));
        var document = yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).Single(d => d["kind"].ToString() == kind);
        var spec = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)document["spec"])["template"])["spec"];
        return (YamlMappingNode)((YamlSequenceNode)spec["containers"]).Children.Single();
    }

    private static Dictionary<string, string> Ports(YamlMappingNode container) =>
        ((YamlSequenceNode)container["ports"]).Children.Cast<YamlMappingNode>()
            .ToDictionary(p => p["name"].ToString(), p => p["containerPort"].ToString());

    private static Dictionary<string, string> Env(YamlMappingNode container) =>
        ((YamlSequenceNode)container["env"]).Children.Cast<YamlMappingNode>()
            .Where(e => e.Children.ContainsKey(new YamlScalarNode("value")))
            .ToDictionary(e => e["name"].ToString(), e => e["value"].ToString());

    private static string FieldRef(YamlMappingNode container, string name) =>
        ((YamlSequenceNode)container["env"]).Children.Cast<YamlMappingNode>()
            .Single(e => e["name"].ToString() == name)["valueFrom"] is YamlMappingNode from
            ? ((YamlMappingNode)from["fieldRef"])["fieldPath"].ToString()
            : "";

    private static string Scalar(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
        {
            current = ((YamlMappingNode)current)[key];
        }

        return current.ToString();
    }

    private static string UrlPort(string url) => url[(url.LastIndexOf(':') + 1)..].TrimEnd('/');

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Chat.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Chat.sln not found above the test output.");
    }

    [GeneratedRegex(@"\bChat__[A-Za-z0-9]+(?:__[A-Za-z0-9]+)+")]
    private static partial Regex ChatVariable();
}
