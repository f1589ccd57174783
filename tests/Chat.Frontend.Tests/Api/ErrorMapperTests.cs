using Chat.Frontend.Api;
using Chat.Runtime.Messaging;

namespace Chat.Frontend.Tests.Api;

public sealed class ErrorMapperTests
{
    [Fact]
    public void An_unreachable_database_is_a_retryable_503_and_not_an_internal_error()
    {
        Assert.Equal((503, "UNAVAILABLE"), Map(new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432")));
        Assert.Equal((503, "UNAVAILABLE"), Map(new RemoteGrainException("Npgsql.NpgsqlException, Npgsql", "Failed to connect")));
        Assert.Equal((500, "INTERNAL_ERROR"), Map(new RemoteGrainException("System.InvalidOperationException, System.Private.CoreLib", "bug")));
        Assert.Equal((500, "INTERNAL_ERROR"), Map(new InvalidOperationException("bug")));
    }

    private static (int, string) Map(Exception exception)
    {
        var mapped = ErrorMapper.From(exception);
        return (mapped.Status, mapped.Error.Code);
    }
}
