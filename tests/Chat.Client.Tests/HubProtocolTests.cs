using System.Text;
using Chat.Client.Internal;

namespace Chat.Client.Tests;

public sealed class HubProtocolTests
{
    [Fact]
    public void An_invocation_is_parsed_with_its_target_id_and_first_argument()
    {
        var record = Bytes("""{"type":1,"invocationId":"7","target":"messageCreated","arguments":[{"epoch":2,"seq":9,"x":[1,2]},"second"]}""");

        var message = HubProtocol.Parse(record);

        Assert.Equal(HubMessageType.Invocation, message.Type);
        Assert.Equal("7", message.InvocationId);
        Assert.Equal("messageCreated", message.Target);
        Assert.Equal(2, message.ArgumentCount);
        Assert.Equal("""{"epoch":2,"seq":9,"x":[1,2]}""", Text(record[message.FirstArgument]));
    }

    [Fact]
    public void Completions_carry_a_result_of_any_json_kind_or_an_error()
    {
        var withString = Bytes("""{"type":3,"invocationId":"1","result":"ok"}""");
        var withObject = Bytes("""{"invocationId":"2","result":{"a":{"b":null}},"type":3}""");
        var withNull = Bytes("""{"type":3,"invocationId":"3","result":null}""");
        var voidCompletion = Bytes("""{"type":3,"invocationId":"4"}""");
        var failed = Bytes("""{"type":3,"invocationId":"5","error":"An unexpected error occurred invoking 'Fail' on the server. HubException: NOT_FOUND: gone"}""");

        Assert.Equal("\"ok\"", Text(withString[HubProtocol.Parse(withString).Result]));
        Assert.Equal("""{"a":{"b":null}}""", Text(withObject[HubProtocol.Parse(withObject).Result]));
        Assert.Equal("null", Text(withNull[HubProtocol.Parse(withNull).Result]));
        Assert.False(HubProtocol.Parse(voidCompletion).HasResult);
        Assert.Equal("An unexpected error occurred invoking 'Fail' on the server. HubException: NOT_FOUND: gone", HubProtocol.Parse(failed).Error);
    }

    [Fact]
    public void A_close_message_says_whether_reconnecting_is_allowed()
    {
        var allowed = HubProtocol.Parse(Bytes("""{"type":7,"error":"shutting down","allowReconnect":true}"""));
        var plain = HubProtocol.Parse(Bytes("""{"type":7}"""));

        Assert.Equal(HubMessageType.Close, allowed.Type);
        Assert.True(allowed.AllowReconnect);
        Assert.Equal("shutting down", allowed.Error);
        Assert.False(plain.AllowReconnect);
        Assert.Null(plain.Error);
    }

    [Fact]
    public void Messages_of_other_and_future_types_parse_without_failing()
    {
        Assert.Equal(HubMessageType.StreamItem, HubProtocol.Parse(Bytes("""{"type":2,"invocationId":"1","item":{"deep":[1,{"x":2}]}}""")).Type);
        Assert.Equal(HubMessageType.CancelInvocation, HubProtocol.Parse(Bytes("""{"type":5,"invocationId":"1"}""")).Type);
        Assert.Equal(HubMessageType.Ping, HubProtocol.Parse(Bytes("""{"type":6}""")).Type);
        Assert.Equal(42, HubProtocol.Parse(Bytes("""{"type":42,"headers":{"a":"b"},"whatever":[true]}""")).Type);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"target":"x"}""")]
    [InlineData("""{"type":"one"}""")]
    [InlineData("""{"type":1,"target":"x","arguments":{}}""")]
    public void Malformed_messages_are_rejected_as_invalid_data(string json) =>
        Assert.Throws<InvalidDataException>(() => HubProtocol.Parse(Bytes(json)));

    [Fact]
    public void An_invocation_is_written_as_one_json_record_with_camel_case_arguments()
    {
        using var buffer = new PooledBufferWriter(4);
        var conversation = Guid.Parse("0b9c1f6e-3a53-4d6b-9d1e-5c9f3a2b1c0d");

        HubProtocol.WriteInvocation(buffer, 12, "SendMessage", [conversation, new SendMessageRequest("c-1", "hi"), null], ChatJson.Options);

        Assert.Equal(
            """{"type":1,"invocationId":"12","target":"SendMessage","arguments":["0b9c1f6e-3a53-4d6b-9d1e-5c9f3a2b1c0d",{"clientMessageId":"c-1","content":"hi"},null]}""" + "\u001e",
            Text(buffer.WrittenSpan));
    }

    [Fact]
    public void A_fire_and_forget_invocation_has_no_invocation_id()
    {
        using var buffer = new PooledBufferWriter();

        HubProtocol.WriteInvocation(buffer, null, "Typing", [Guid.Empty], ChatJson.Options);

        Assert.DoesNotContain("invocationId", Text(buffer.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void The_handshake_response_is_accepted_or_gives_its_error()
    {
        Assert.Null(HubProtocol.ParseHandshakeResponse(Bytes("{}")));
        Assert.Null(HubProtocol.ParseHandshakeResponse(Bytes("""{"minorVersion":1}""")));
        Assert.Equal("Requested protocol 'json' is not available.", HubProtocol.ParseHandshakeResponse(Bytes("""{"error":"Requested protocol 'json' is not available."}""")));
    }

    [Theory]
    [InlineData("""{"epoch":3,"seq":17,"conversationId":"x"}""", 3L, 17L)]
    [InlineData("""{"message":{"epoch":9,"seq":9},"seq":2,"epoch":1}""", 1L, 2L)]
    public void The_event_position_is_read_from_top_level_epoch_and_seq(string json, long epoch, long seq) =>
        Assert.Equal(new EventPosition(epoch, seq), HubProtocol.ReadPosition(Bytes(json)));

    [Theory]
    [InlineData("""{"conversationId":"x","userId":"y"}""")]
    [InlineData("""{"seq":2}""")]
    [InlineData("""{"epoch":"1","seq":2}""")]
    [InlineData("[1,2]")]
    [InlineData("17")]
    public void Events_without_a_numeric_position_are_ephemeral(string json) =>
        Assert.Null(HubProtocol.ReadPosition(Bytes(json)));

    [Theory]
    [InlineData("An unexpected error occurred invoking 'SendMessage' on the server. HubException: RATE_LIMITED: over 10 per minute", "RATE_LIMITED", null)]
    [InlineData("""HubException: {"error":{"code":"VALIDATION_ERROR","message":"too long","details":"content","retryAfter":null}}""", "VALIDATION_ERROR", null)]
    [InlineData("""{"code":"RATE_LIMITED","message":"slow","retryAfter":7}""", "RATE_LIMITED", 7)]
    public void Hub_error_messages_yield_the_section_7_error(string message, string code, int? retryAfter)
    {
        var error = ChatErrorCodes.FindIn(message);

        Assert.NotNull(error);
        Assert.Equal(code, error.Code);
        Assert.Equal(retryAfter, error.RetryAfter);
    }

    [Theory]
    [InlineData("Method does not exist.")]
    [InlineData("SOMETHING_ELSE happened")]
    [InlineData("")]
    public void Messages_without_a_known_code_yield_none(string message) =>
        Assert.Null(ChatErrorCodes.FindIn(message));

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
