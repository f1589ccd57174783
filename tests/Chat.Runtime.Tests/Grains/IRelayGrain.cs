using Chat.Runtime.SiloProcess;
using Chat.Runtime.Tests.Infrastructure;

namespace Chat.Runtime.Tests.Grains;

/// <summary>Calls another grain from inside its turn, when the test opens a gate.</summary>
public interface IRelayGrain : IGrainWithStringKey
{
    Task<string> WhereAmI();

    /// <summary>Records "{key} started", waits for the gate "{key}", then asks the append grain <paramref name="targetKey"/> where it runs.</summary>
    Task<string> AskWhenOpened(string targetKey);

    /// <summary>Like <see cref="AskWhenOpened"/>, but asks by way of the relay <paramref name="viaKey"/> (<see cref="Ask"/>).</summary>
    Task<string> AskThroughWhenOpened(string viaKey, string targetKey);

    /// <summary>Asks the append grain <paramref name="targetKey"/> where it runs.</summary>
    Task<string> Ask(string targetKey);
}

/// <summary>Records "{key} activated on {silo}" and "{key} deactivated on {silo}" around each activation.</summary>
public sealed class RelayGrain(Probe probe, Hosting.SiloState silo) : Grain, IRelayGrain
{
    private string Here => silo.Address?.ToString() ?? "local";

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        probe.Record($"{this.GetPrimaryKeyString()} activated on {Here}");
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        probe.Record($"{this.GetPrimaryKeyString()} deactivated on {Here}");
        return Task.CompletedTask;
    }

    public Task<string> WhereAmI() => Task.FromResult(Here);

    public async Task<string> AskWhenOpened(string targetKey)
    {
        await OpenedAsync();
        return await Ask(targetKey);
    }

    public async Task<string> AskThroughWhenOpened(string viaKey, string targetKey)
    {
        await OpenedAsync();
        return await GrainFactory.GetGrain<IRelayGrain>(viaKey).Ask(targetKey);
    }

    public Task<string> Ask(string targetKey) => GrainFactory.GetGrain<IAppendGrain>(targetKey).WhereAmI();

    private Task OpenedAsync()
    {
        var key = this.GetPrimaryKeyString();
        probe.Record($"{key} started");
        return probe.Gate(key).Task;
    }
}
