using Chat.Runtime.Membership;
using Chat.Runtime.Messaging;
using Chat.Runtime.Placement;

namespace Chat.Runtime.Tests.Cluster;

public sealed class PlacementTests
{
    private static ClusterView View(int silos, int firstPort = 11000) => new(
        silos,
        Enumerable.Range(0, silos).Select(i => Entry(new SiloAddress("10.0.0.1", firstPort + i, 42))).ToList());

    private static SiloEntry Entry(SiloAddress address, SiloStatus status = SiloStatus.Active) =>
        new(address, address.ToString(), status, address.Port, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, TimeSpan.Zero);

    private static GrainId Grain(int i) => new("IUserGrain", i.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void Every_node_with_the_same_view_computes_the_same_owner()
    {
        var a = View(5);
        // Same members, listed in another order, read by another node.
        var b = new ClusterView(5, a.Members.Reverse().ToList());
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(PlacementDirector.GetOwner(Grain(i), a), PlacementDirector.GetOwner(Grain(i), b));
        }
    }

    [Fact]
    public void Grains_spread_evenly_over_the_active_silos()
    {
        var view = View(4);
        var counts = Enumerable.Range(0, 20000).GroupBy(i => PlacementDirector.GetOwner(Grain(i), view)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(4, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 20000 / 4 * 0.9, 20000 / 4 * 1.1));
    }

    [Fact]
    public void A_joining_silo_takes_about_one_nth_of_the_grains_and_nothing_else_moves()
    {
        var before = View(5);
        var joined = new SiloAddress("10.0.0.1", 12000, 7);
        var after = new ClusterView(6, [.. before.Members, Entry(joined)]);
        var moved = 0;
        for (var i = 0; i < 20000; i++)
        {
            var was = PlacementDirector.GetOwner(Grain(i), before);
            var now = PlacementDirector.GetOwner(Grain(i), after);
            if (was != now)
            {
                moved++;
                Assert.Equal(joined, now);
            }
        }

        // Ideal: 1/6 of the grains.
        Assert.InRange(moved / 20000.0, 1 / 6.0 * 0.85, 1 / 6.0 * 1.15);
    }

    [Fact]
    public void A_leaving_silo_hands_only_its_own_grains_to_the_others()
    {
        var before = View(4);
        var leaving = before.ActiveSilos[2];
        var after = new ClusterView(5, before.Members.Select(m => m.Address == leaving ? m with { Status = SiloStatus.Dead } : m).ToList());
        for (var i = 0; i < 5000; i++)
        {
            var was = PlacementDirector.GetOwner(Grain(i), before);
            var now = PlacementDirector.GetOwner(Grain(i), after);
            Assert.NotEqual(leaving, now);
            if (was != leaving)
            {
                Assert.Equal(was, now);
            }
        }
    }

    [Fact]
    public void Joining_and_dead_silos_get_no_grains_and_a_leaving_silo_keeps_its_own_until_it_is_dead()
    {
        var members = View(4).Members.ToList();
        var before = new ClusterView(8, members);
        members[0] = members[0] with { Status = SiloStatus.Joining };
        members[1] = members[1] with { Status = SiloStatus.Dead };
        members[2] = members[2] with { Status = SiloStatus.ShuttingDown };
        var view = new ClusterView(9, members);
        for (var i = 0; i < 2000; i++)
        {
            var owner = PlacementDirector.GetOwner(Grain(i), view);
            Assert.True(owner == members[2].Address || owner == members[3].Address);
            if (PlacementDirector.GetOwner(Grain(i), before) == members[2].Address)
            {
                Assert.Equal(members[2].Address, owner);
            }
        }

        Assert.Throws<SiloUnavailableException>(() => PlacementDirector.GetOwner(Grain(1), new ClusterView(1, [])));
    }
}
