using Chat.LoadTest.Workload;

namespace Chat.LoadTest.Tests;

public sealed class WorkloadTests
{
    [Fact]
    public void Each_user_gets_its_dms_without_duplicates_or_self_conversations()
    {
        var plans = Topology.Plan(10, 2, []);

        Assert.Equal(20, plans.Count);
        Assert.All(plans, p => Assert.True(p.IsDirect && p.Members.Count == 2 && p.Members[0] != p.Members[1]));
        Assert.Equal(plans.Count, plans.Select(p => (Math.Min(p.Members[0], p.Members[1]), Math.Max(p.Members[0], p.Members[1]))).Distinct().Count());
        Assert.All(Enumerable.Range(0, 10), user => Assert.Equal(4, plans.Count(p => p.Members.Contains(user))));
        Assert.Single(Topology.Plan(2, 1, []));
    }

    [Fact]
    public void Groups_have_distinct_members_and_shrink_to_the_user_count()
    {
        var plans = Topology.Plan(40, 0, [(5, 8), (500, 1)]);

        Assert.Equal(9, plans.Count);
        Assert.All(plans, p => Assert.Equal(p.Members.Count, p.Members.Distinct().Count()));
        Assert.Equal(40, plans.Single(p => p.Key.StartsWith("group:500:0:", StringComparison.Ordinal)).Members.Count);
        // Eight groups of five cover the forty users once.
        Assert.Equal(40, plans.Where(p => p.Key.StartsWith("group:5:", StringComparison.Ordinal)).SelectMany(p => p.Members).Distinct().Count());
    }

    [Fact]
    public void The_same_options_give_the_same_conversations()
    {
        var first = Topology.Plan(1000, 1, [(5, 200), (50, 5), (500, 1)]);
        var second = Topology.Plan(1000, 1, [(5, 200), (50, 5), (500, 1)]);

        Assert.Equal(first.Select(p => (p.Key, string.Join(',', p.Members))), second.Select(p => (p.Key, string.Join(',', p.Members))));
        Assert.Equal(first.Count, first.Select(p => p.Key).Distinct().Count());
    }

    [Fact]
    public void A_group_with_other_members_gets_another_key_so_a_cached_one_is_not_reused()
    {
        // The second kind of group starts at an offset that depends on the user count.
        var small = Topology.Plan(100, 0, [(5, 1), (50, 1)])[1];
        var large = Topology.Plan(300, 0, [(5, 1), (50, 1)])[1];
        var again = Topology.Plan(100, 0, [(5, 1), (50, 1)])[1];

        Assert.NotEqual(small.Members, large.Members);
        Assert.NotEqual(small.Key, large.Key);
        Assert.Equal(small.Key, again.Key);
    }

    [Fact]
    public void Message_content_carries_the_run_and_the_scheduled_time()
    {
        var content = MessageContent.Create("ab12cd34", 123_456_789, 100);

        Assert.Equal(100, content.Length);
        Assert.True(MessageContent.TryParse(content, "ab12cd34", out var micros));
        Assert.Equal(123_456_789, micros);
        Assert.False(MessageContent.TryParse(content, "ffffffff", out _));
        Assert.False(MessageContent.TryParse("hello", "ab12cd34", out _));
        Assert.False(MessageContent.TryParse(null, "ab12cd34", out _));
        Assert.True(MessageContent.TryParse(MessageContent.Create("ab12cd34", 5, 3), "ab12cd34", out _));
    }

    [Fact]
    public void The_open_loop_schedule_keeps_the_requested_average_rate()
    {
        var schedule = new OpenLoopSchedule(2000, new Random(1));
        var arrivals = 0;
        double last = 0;
        while ((last = schedule.Next()) < 30)
        {
            arrivals++;
        }

        Assert.InRange(arrivals, 59_000, 61_000);
        Assert.Equal(double.PositiveInfinity, new OpenLoopSchedule(0, new Random(1)).Next());
    }

    [Fact]
    public void Frontends_of_the_local_system_are_found_from_the_repository_or_below_it()
    {
        var root = Directory.CreateTempSubdirectory("chat-discovery-");
        try
        {
            var pids = Directory.CreateDirectory(Path.Combine(root.FullName, ".chat", "pids"));
            File.WriteAllText(Path.Combine(pids.FullName, "frontend-10.url"), "http://127.0.0.1:5089\n");
            File.WriteAllText(Path.Combine(pids.FullName, "frontend-2.url"), "http://127.0.0.1:5081\n");
            File.WriteAllText(Path.Combine(pids.FullName, "frontend-1.url"), "http://127.0.0.1:5080\n");
            File.WriteAllText(Path.Combine(pids.FullName, "silo-1.url"), "http://127.0.0.1:5180\n");
            var below = Directory.CreateDirectory(Path.Combine(root.FullName, "src", "x"));

            var urls = FrontendDiscovery.Find(below.FullName);

            Assert.Equal(["http://127.0.0.1:5080/", "http://127.0.0.1:5081/", "http://127.0.0.1:5089/"], urls.Select(u => u.ToString()));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
