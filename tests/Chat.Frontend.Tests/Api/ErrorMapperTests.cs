using Chat.Frontend.Api;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Chat.Frontend.Tests.Api;

public sealed class ErrorMapperTests
{
    [Fact]
    public void An_unreachable_database_is_a_retryable_503_and_not_an_internal_error()
    {
        Assert.Equal((503, "UNAVAILABLE"), Map(new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432")));
        Assert.Equal((500, "INTERNAL_ERROR"), Map(new InvalidOperationException("bug")));
    }

    [Fact]
    public void A_database_failure_raised_in_a_silo_arrives_through_the_Orleans_serializer_as_503_and_a_bug_as_500()
    {
        // What a frontend receives when a grain throws, with the serialization settings silos and clients share.
        using var services = new ServiceCollection().AddSerializer()
            .Configure<ExceptionSerializationOptions>(Chat.Grains.ChatSerialization.Configure).BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        Exception Crossed(Exception exception) => serializer.Deserialize<Exception>(serializer.SerializeToArray(exception))!;

        var database = Crossed(new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432"));
        var bug = Crossed(new InvalidOperationException("bug"));

        Assert.IsType<Npgsql.NpgsqlException>(database);
        Assert.Equal("Failed to connect to 127.0.0.1:5432", database.Message);
        Assert.Equal((503, "UNAVAILABLE"), Map(database));
        Assert.Equal((500, "INTERNAL_ERROR"), Map(bug));
    }

    private static (int, string) Map(Exception exception)
    {
        var mapped = ErrorMapper.From(exception);
        return (mapped.Status, mapped.Error.Code);
    }
}
