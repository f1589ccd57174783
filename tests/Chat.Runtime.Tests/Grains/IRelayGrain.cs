using Chat.Runtime.SiloProcess;
using Chat.Runtime.Tests.Infrastructure;

namespace Chat.Runtime.Tests.Grains;

/// <summary>Calls another grain from inside its turn, when the test opens a gate.</summary>
public interface IRelayGrain : IGrainWithStringKey
{
    Task<string> WhereAmI();

    /// <summary>Records "{key} started", waits for the gate "{key}", then asks the append grain <paramref name="targetKey"/> where it runs.</summary>
    Task<string> AskWhenOpened(string targetKey);
}

public sealed class RelayGrain(Probe probe, Hosting.SiloState silo) : Grain, IRelayGrain
{
    public Task<string> WhereAmI() => Task.FromResult(silo.Address?.ToString() ?? "local");

    public async Task<string> AskWhenOpened(string targetKey)
    {
        var key = this.GetPrimaryKeyString();
        probe.Record($"{key} started");
        await probe.Gate(key).Task;
        return await GrainFactory.GetGrain<IAppendGrain>(targetKey).WhereAmI();
    }
}
