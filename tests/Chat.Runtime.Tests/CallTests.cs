using System.Text.Json;
using Chat.Runtime.Activation;
using Chat.Runtime.Invocation;
using Chat.Runtime.Tests.Grains;
using Chat.Runtime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Runtime.Tests;

public sealed class CallTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private SingleSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await SingleSilo.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public void Getting_a_reference_activates_nothing()
    {
        var catalog = _silo.Services.GetRequiredService<Catalog>();
        var grain = _silo.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid());
        Assert.NotNull(grain);
        Assert.Equal(0, catalog.Count);
    }

    [Fact]
    public void References_to_the_same_grain_are_equal_and_carry_its_id()
    {
        var key = Guid.NewGuid();
        var a = _silo.GrainFactory.GetGrain<ICounterGrain>(key);
        var b = _silo.GrainFactory.GetGrain<ICounterGrain>(key);
        Assert.Equal(a, b);
        Assert.Equal(new GrainId("ICounterGrain", GrainKeys.FromGuid(key)), a.GetGrainId());
        Assert.Equal(key, a.GetPrimaryKey());
        Assert.NotEqual(a, _silo.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid()));
    }

    [Fact]
    public async Task Every_supported_return_shape_works_through_the_proxy()
    {
        var grain = _silo.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid());
        await grain.Increment().WaitAsync(Timeout);
        Assert.Equal(6, await grain.Add(5).WaitAsync(Timeout));
        Assert.Equal(6, await grain.Get().AsTask().WaitAsync(Timeout));
        await grain.Reset().AsTask().WaitAsync(Timeout);
        Assert.Equal(0, await grain.Get().AsTask().WaitAsync(Timeout));
        Assert.Equal("hi", await grain.Echo("hi").WaitAsync(Timeout));
    }

    [Fact]
    public async Task Parameter_names_that_collide_with_generated_code_still_work()
    {
        var grain = _silo.GrainFactory.GetGrain<INamingGrain>(1);
        Assert.Equal("a|b|c|6", await grain.Combine("a", "b", "c", 1, 2, 3).WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_grain_sees_its_own_key()
    {
        var key = Guid.NewGuid();
        Assert.Equal(key, await _silo.GrainFactory.GetGrain<ICounterGrain>(key).GetKey().WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_domain_exception_reaches_the_caller_as_itself()
    {
        var grain = _silo.GrainFactory.GetGrain<ISchedulingGrain>("throws");
        var ex = await Assert.ThrowsAsync<TestDomainException>(() => grain.ThrowDomain("nope").WaitAsync(Timeout));
        Assert.Equal("nope", ex.Message);
        Assert.Equal("TEST_CODE", ex.Code);
        // The grain survives its exception.
        await grain.Record(1).WaitAsync(Timeout);
    }

    [Fact]
    public async Task Mutable_arguments_are_copied_and_immutable_ones_are_shared()
    {
        var grain = _silo.GrainFactory.GetGrain<ICopyGrain>(1);
        var items = new List<int> { 1, 2, 3 };
        await grain.Store(items).WaitAsync(Timeout);
        items.Clear();
        Assert.Equal(3, await grain.StoredCount().WaitAsync(Timeout));

        var immutable = new ImmutablePayload("x", 1);
        Assert.Same(immutable, await grain.Return(immutable).WaitAsync(Timeout));

        var mutable = new MutablePayload { Items = [1] };
        var returned = await grain.ReturnMutable(mutable).WaitAsync(Timeout);
        Assert.NotSame(mutable, returned);
        Assert.Equal([1], returned.Items);
    }

    [Fact]
    public async Task References_serialise_as_their_id_and_work_after_deserialisation()
    {
        var counter = _silo.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid());
        await counter.Add(41).WaitAsync(Timeout);
        var options = _silo.Services.GetRequiredService<Hosting.RuntimeServicesAccessor>().SerializerOptions;
        var json = JsonSerializer.Serialize(counter, options);
        Assert.Equal($"\"{counter.GetGrainId()}\"", json);
        var back = JsonSerializer.Deserialize<ICounterGrain>(json, options)!;
        Assert.Equal(counter, back);
        Assert.Equal(42, await back.Add(1).WaitAsync(Timeout));

        // A reference passed to a grain and back is still the same grain.
        var echoed = await _silo.GrainFactory.GetGrain<ICopyGrain>(2).PassReference(counter).WaitAsync(Timeout);
        Assert.Equal(43, await echoed.Add(1).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Calling_an_unknown_grain_type_fails_clearly()
    {
        var reference = _silo.GrainFactory.GetGrain<ICounterGrain>(new GrainId("NoSuchGrain", "1"));
        var ex = await Assert.ThrowsAsync<GrainTypeNotFoundException>(() => reference.Increment().WaitAsync(Timeout));
        Assert.Contains("NoSuchGrain", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Many_concurrent_callers_over_many_grains_lose_no_calls()
    {
        var grains = Enumerable.Range(0, 50).Select(_ => _silo.GrainFactory.GetGrain<ICounterGrain>(Guid.NewGuid())).ToArray();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async caller =>
        {
            for (var i = 0; i < 500; i++)
            {
                await grains[(caller + i) % grains.Length].Increment();
            }
        })).WaitAsync(TimeSpan.FromSeconds(60));
        var total = 0;
        foreach (var grain in grains)
        {
            total += await grain.Get().AsTask().WaitAsync(Timeout);
        }

        Assert.Equal(64 * 500, total);
    }
}
