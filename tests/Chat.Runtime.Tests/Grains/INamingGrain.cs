namespace Chat.Runtime.Tests.Grains;

/// <summary>Parameter names that collide with names in generated code, and a keyword.</summary>
public interface INamingGrain : IGrainWithIntegerKey
{
    Task<string> Combine(string request, string grain, string @event, int copier, int writer, int options);
}

public sealed class NamingGrain : Grain, INamingGrain
{
    public Task<string> Combine(string request, string grain, string @event, int copier, int writer, int options) =>
        Task.FromResult($"{request}|{grain}|{@event}|{copier + writer + options}");
}
