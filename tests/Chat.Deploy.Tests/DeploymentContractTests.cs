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

    /// <summary>
    /// The silo and frontend hosts and every Chat.* assembly they reference, directly or not: the
    /// options classes they bind may live in any of them (found by name, so that no test depends on
    /// where a class lives).
    /// </summary>
    private static readonly Assembly[] HostAssemblies = ChatAssembliesReferencedBy("Chat.Silo", "Chat.Frontend");

    /// <summary>Orleans' own defaults, which the images and manifests use inside containers.</summary>
    private const string SiloPort = "11111";
    private const string GatewayPort = "30000";

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
    public void The_silo_manifest_exposes_the_silo_and_gateway_ports_it_configures_and_probes_the_health_routes()
    {
        var container = Container("deploy/kubernetes/silo.yaml", "StatefulSet");
        var ports = Ports(container);
        var env = Env(container);
        Assert.Equal(SiloPort, env["Chat__Silo__SiloPort"]);
        Assert.Equal(GatewayPort, env["Chat__Silo__GatewayPort"]);
        Assert.Equal(env["Chat__Silo__SiloPort"], ports["silo"]);
        Assert.Equal(env["Chat__Silo__GatewayPort"], ports["gateway"]);
        Assert.Equal(UrlPort(env["ASPNETCORE_URLS"]), ports["http"]);
        AssertProbes(container);
        Assert.Equal("status.podIP", FieldRef(container, "Chat__Silo__AdvertisedIPAddress"));
        Assert.Contains("PodDisruptionBudget", Kinds("deploy/kubernetes/silo.yaml"));

        // The headless Service names the same three ports.
        var service = Documents("deploy/kubernetes/silo.yaml").Single(d => d["kind"].ToString() == "Service");
        var servicePorts = ((YamlSequenceNode)((YamlMappingNode)service["spec"])["ports"]).Children.Cast<YamlMappingNode>()
            .ToDictionary(p => p["name"].ToString(), p => (Port: p["port"].ToString(), Target: p["targetPort"].ToString()));
        foreach (var name in new[] { "http", "silo", "gateway" })
        {
            Assert.Equal((ports[name], name), servicePorts[name]);
        }
    }

    [Fact]
    public void Silos_in_Kubernetes_use_the_Orleans_Kubernetes_hosting_with_its_labels_environment_and_RBAC()
    {
        const string file = "deploy/kubernetes/silo.yaml";
        var documents = Documents(file);
        var statefulSet = documents.Single(d => d["kind"].ToString() == "StatefulSet");
        var template = (YamlMappingNode)((YamlMappingNode)statefulSet["spec"])["template"];
        var labels = Mapping((YamlMappingNode)((YamlMappingNode)template["metadata"])["labels"]);
        var podSpec = (YamlMappingNode)template["spec"];
        var container = Container(file, "StatefulSet");
        var env = Env(container);

        Assert.Equal("true", env["Chat__Silo__Kubernetes"]);

        // The pod labels, the silo's options and what UseKubernetesHosting reads agree.
        Assert.Equal(env["Chat__Silo__ServiceId"], labels["orleans/serviceId"]);
        Assert.Equal(env["Chat__Silo__ClusterId"], labels["orleans/clusterId"]);
        Assert.Equal(env["Chat__Silo__ServiceId"], env["ORLEANS_SERVICE_ID"]);
        Assert.Equal(env["Chat__Silo__ClusterId"], env["ORLEANS_CLUSTER_ID"]);

        // The silo name must be the pod name (KubernetesHostingOptionsValidator).
        Assert.Equal("metadata.name", FieldRef(container, "Chat__Silo__Name"));
        Assert.Equal("metadata.name", FieldRef(container, "POD_NAME"));
        Assert.Equal("metadata.namespace", FieldRef(container, "POD_NAMESPACE"));
        Assert.Equal("status.podIP", FieldRef(container, "POD_IP"));

        // The pod's service account is bound to a Role of this namespace that may read, watch and
        // delete pods (patch: the agent labels its own pod when the labels are missing).
        var account = podSpec["serviceAccountName"].ToString();
        var namespaceName = ((YamlMappingNode)statefulSet["metadata"])["namespace"].ToString();
        Assert.Contains(documents, d => d["kind"].ToString() == "ServiceAccount" && Metadata(d, "name") == account && Metadata(d, "namespace") == namespaceName);
        var binding = documents.Single(d => d["kind"].ToString() == "RoleBinding"
            && ((YamlSequenceNode)d["subjects"]).Children.Cast<YamlMappingNode>().Any(s =>
                s["kind"].ToString() == "ServiceAccount" && s["name"].ToString() == account && s["namespace"].ToString() == namespaceName));
        Assert.Equal(namespaceName, Metadata(binding, "namespace"));
        var roleRef = (YamlMappingNode)binding["roleRef"];
        Assert.Equal("Role", roleRef["kind"].ToString());
        var role = documents.Single(d => d["kind"].ToString() == "Role" && Metadata(d, "name") == roleRef["name"].ToString());
        Assert.Equal(namespaceName, Metadata(role, "namespace"));
        var verbs = ((YamlSequenceNode)role["rules"]).Children.Cast<YamlMappingNode>()
            .Where(r => Strings(r["apiGroups"]).Contains("") && Strings(r["resources"]).Contains("pods"))
            .SelectMany(r => Strings(r["verbs"]))
            .ToHashSet();
        foreach (var verb in new[] { "get", "list", "watch", "patch", "delete" })
        {
            Assert.Contains(verb, verbs);
        }

        // Frontends join the same cluster (they find its gateways in the membership table).
        var frontend = Env(Container("deploy/kubernetes/frontend.yaml", "Deployment"));
        Assert.Equal(env["Chat__Silo__ServiceId"], frontend["Chat__Silo__ServiceId"]);
        Assert.Equal(env["Chat__Silo__ClusterId"], frontend["Chat__Silo__ClusterId"]);
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
    public void Compose_silos_advertise_their_own_address_and_ports_and_share_one_cluster_and_database()
    {
        var services = (YamlMappingNode)Load("deploy/compose.yaml")["services"];
        var advertised = new HashSet<string>();
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
                Assert.Equal(name.ToString(), values["Chat__Silo__Name"]);
                Assert.Equal(SiloPort, values["Chat__Silo__SiloPort"]);
                Assert.Equal(GatewayPort, values["Chat__Silo__GatewayPort"]);
                // Orleans advertises an IP address: the silo's fixed address on the compose network.
                var address = values["Chat__Silo__AdvertisedIPAddress"];
                Assert.True(System.Net.IPAddress.TryParse(address, out _), $"{name}: Chat__Silo__AdvertisedIPAddress {address} is not an IP address");
                var networks = (YamlMappingNode)((YamlMappingNode)node)["networks"];
                Assert.Contains(networks.Children.Values, n => n is YamlMappingNode m
                    && m.Children.TryGetValue(new YamlScalarNode("ipv4_address"), out var ip) && ip.ToString() == address);
                Assert.True(advertised.Add(address), $"{name}: {address} is advertised by another silo too");
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

    [Fact]
    public void The_silo_image_configures_and_exposes_the_silo_and_gateway_ports()
    {
        var text = File.ReadAllText(Path.Combine(Root, "deploy/docker/silo.Dockerfile"));
        Assert.Contains($"Chat__Silo__SiloPort={SiloPort}", text, StringComparison.Ordinal);
        Assert.Contains($"Chat__Silo__GatewayPort={GatewayPort}", text, StringComparison.Ordinal);
        var exposed = Regex.Matches(text, @"^EXPOSE\s+(.+)$", RegexOptions.Multiline)
            .SelectMany(m => m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet();
        Assert.Superset(new HashSet<string> { "8080", SiloPort, GatewayPort }, exposed);
    }

    [Fact]
    public void The_chat_script_gives_each_silo_its_own_ports_and_reads_the_Orleans_membership_table()
    {
        var text = File.ReadAllText(Path.Combine(Root, "chat"));
        foreach (var variable in new[] { "Chat__Silo__SiloPort=", "Chat__Silo__GatewayPort=", "Chat__Silo__AdvertisedIPAddress=", "Chat__Silo__Name=", "Chat__Cluster__HttpUrl=" })
        {
            Assert.Contains(variable, text, StringComparison.Ordinal);
        }

        Assert.Contains("orleansmembershiptable", text, StringComparison.Ordinal);
        Assert.DoesNotContain("cluster_members", text, StringComparison.Ordinal);
    }

    private static void AssertProbes(YamlMappingNode container)
    {
        Assert.Equal("/health/ready", Scalar(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("/health/live", Scalar(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("http", Scalar(container, "readinessProbe", "httpGet", "port"));
        Assert.Equal("http", Scalar(container, "livenessProbe", "httpGet", "port"));
    }

    private static Assembly[] ChatAssembliesReferencedBy(params string[] roots)
    {
        var found = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        var pending = new Queue<AssemblyName>(roots.Select(r => new AssemblyName(r)));
        while (pending.TryDequeue(out var name))
        {
            if (found.ContainsKey(name.Name!))
            {
                continue;
            }

            var assembly = Assembly.Load(name);
            found[name.Name!] = assembly;
            foreach (var reference in assembly.GetReferencedAssemblies().Where(r => r.Name!.StartsWith("Chat.", StringComparison.Ordinal)))
            {
                pending.Enqueue(reference);
            }
        }

        return [.. found.Values];
    }

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>();
        }
    }

    private static Dictionary<string, List<Type>> OptionSections() =>
        HostAssemblies.SelectMany(LoadableTypes)
            // FlattenHierarchy: an options class may inherit its section from a base class.
            .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static | BindingFlags.FlattenHierarchy)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
            .GroupBy(x => (string)x.Field!.GetRawConstantValue()!)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Type).ToList());

    private static YamlMappingNode Load(string file)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Root, file))));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static List<YamlMappingNode> Documents(string file)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Root, file))));
        return yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static List<string> Kinds(string file) => Documents(file).Select(d => d["kind"].ToString()).ToList();

    private static string Metadata(YamlMappingNode document, string key) => ((YamlMappingNode)document["metadata"])[key].ToString();

    private static Dictionary<string, string> Mapping(YamlMappingNode node) =>
        node.Children.ToDictionary(e => e.Key.ToString(), e => e.Value.ToString());

    private static List<string> Strings(YamlNode node) => ((YamlSequenceNode)node).Children.Select(c => c.ToString()).ToList();

    private static YamlMappingNode Container(string file, string kind)
    {
        var document = Documents(file).Single(d => d["kind"].ToString() == kind);
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
