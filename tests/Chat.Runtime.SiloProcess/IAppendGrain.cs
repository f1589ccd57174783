namespace Chat.Runtime.SiloProcess;

public sealed class AppendState
{
    public List<long> Values { get; set; } = [];
}

/// <summary>Appends values to persisted state; a value already present is not appended twice (caller retries are safe).</summary>
public interface IAppendGrain : IGrainWithStringKey
{
    Task<int> Append(long value);

    Task<long[]> Values();

    Task<string> WhereAmI();
}

public sealed class AppendGrain([PersistentState("append")] IPersistentState<AppendState> state, Hosting.SiloState silo) : Grain, IAppendGrain
{
    public async Task<int> Append(long value)
    {
        if (!state.State.Values.Contains(value))
        {
            state.State.Values.Add(value);
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                // Keep memory equal to storage: the failed value is not there.
                state.State.Values.Remove(value);
                throw;
            }
        }

        return state.State.Values.Count;
    }

    public Task<long[]> Values() => Task.FromResult(state.State.Values.ToArray());

    public Task<string> WhereAmI() => Task.FromResult(silo.Address?.ToString() ?? "local");
}
