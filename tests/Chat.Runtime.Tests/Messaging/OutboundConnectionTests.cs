using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Chat.Runtime.Messaging;
using Chat.Runtime.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Chat.Runtime.Tests.Messaging;

/// <summary>
/// How a process connects to another silo: retries with backoff after a refusal, reconnects after a
/// drop. Both once broke when a loopback connect finished synchronously (a refusal is immediate):
/// the finished attempt stayed cached, so callers spun on its exception until their deadlines, or
/// got the closed connection back for ever.
/// </summary>
public sealed class OutboundConnectionTests : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly MessageCenter _center = new(
        new HelloMessage("client", "outbound-tests", null, "outbound-tests"),
        new JsonSerializerOptions(),
        TimeProvider.System,
        NullLogger.Instance,
        TimeSpan.FromSeconds(1),
        sendQueueCapacity: 16);

    [Fact]
    public async Task A_silo_that_refused_a_connection_is_reached_once_it_listens()
    {
        var port = FreePort();
        var silo = new SiloAddress("127.0.0.1", port, 1);

        // A deadline of now: one attempt, refused (nobody listens yet).
        await Assert.ThrowsAsync<SiloUnavailableException>(() => _center.GetConnectionAsync(silo, TimeProvider.System.GetTimestamp()).WaitAsync(Timeout));

        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        var connection = await _center.GetConnectionAsync(silo, Deadline(TimeSpan.FromSeconds(20))).WaitAsync(Timeout);
        using var accepted = await listener.AcceptSocketAsync().WaitAsync(Timeout);

        Assert.False(connection.IsClosed);
    }

    [Fact]
    public async Task A_caller_whose_connects_fail_at_once_retries_with_backoff_instead_of_spinning_on_the_first_failure()
    {
        // TCP to the broadcast address fails inside connect() itself (ENETUNREACH): a synchronous
        // failure on every machine, unlike a loopback refusal, which is synchronous only sometimes.
        var silo = new SiloAddress("255.255.255.255", 11111, 1);

        var failure = await Assert.ThrowsAsync<SiloUnavailableException>(() => _center.GetConnectionAsync(silo, Deadline(TimeSpan.FromSeconds(3))).WaitAsync(Timeout));

        // The backoff starts at 100 ms: a 3 s deadline leaves room for several attempts, each
        // waited for; a cached failure would have been rethrown for 3 s without a second attempt.
        Assert.InRange(_center.ConnectAttempts, 2, 12);
        Assert.Contains("Cannot connect", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_the_connection_to_a_silo_drops_the_next_caller_gets_a_new_one()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var silo = new SiloAddress("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, 1);
        var first = await _center.GetConnectionAsync(silo, Deadline(TimeSpan.FromSeconds(20))).WaitAsync(Timeout);
        using (var dropped = await listener.AcceptSocketAsync().WaitAsync(Timeout))
        {
            dropped.Close();
        }

        await Probe.WaitUntilAsync(() => first.IsClosed, because: "the silo closed the connection");
        var second = await _center.GetConnectionAsync(silo, Deadline(TimeSpan.FromSeconds(20))).WaitAsync(Timeout);
        using var accepted = await listener.AcceptSocketAsync().WaitAsync(Timeout);

        Assert.NotSame(first, second);
        Assert.False(second.IsClosed);
    }

    public ValueTask DisposeAsync() => _center.DisposeAsync();

    private static long Deadline(TimeSpan after) =>
        TimeProvider.System.GetTimestamp() + (long)(after.TotalSeconds * TimeProvider.System.TimestampFrequency);

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
