using System.Text.Json.Serialization;
using Chat.Grains;
using Microsoft.AspNetCore.Http;

namespace Chat.Frontend.Api;

/// <summary>The one error shape of REST and hub (SPEC section 7): <c>{"error": {code, message, details?, retryAfter?}}</c>.</summary>
public sealed record ApiErrorResponse(ApiError Error);

/// <summary>Body of <see cref="ApiErrorResponse"/>.</summary>
/// <param name="Code">One of <see cref="ChatErrorCodes"/>.</param>
/// <param name="Message">Safe to show; never a stack trace or SQL.</param>
/// <param name="Details">For validation errors: the offending field.</param>
/// <param name="RetryAfter">For RATE_LIMITED and UNAVAILABLE: seconds until a retry may succeed.</param>
public sealed record ApiError(
    string Code,
    string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Details = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RetryAfter = null);

/// <summary>An error with its HTTP status.</summary>
internal sealed record MappedError(int Status, ApiError Error);

/// <summary>Turns any failure into the SPEC section 7 error, the same way for REST and hub.</summary>
internal static class ErrorMapper
{
    public static MappedError From(Exception exception) => exception switch
    {
        ChatException chat => new(chat.HttpStatus, new ApiError(chat.Code, chat.Message, chat.Details, chat.RetryAfterSeconds)),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => PayloadTooLarge(),
        BadHttpRequestException bad => new(StatusCodes.Status400BadRequest, new ApiError(ChatErrorCodes.ValidationError, BadRequestMessage(bad), FieldOf(bad))),
        SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or Orleans.Storage.InconsistentStateException => Unavailable(),
        _ when IsDatabaseUnavailable(exception) => Unavailable(),
        _ => new(StatusCodes.Status500InternalServerError, new ApiError(ChatErrorCodes.InternalError, "An internal error occurred.")),
    };

    /// <summary>
    /// PostgreSQL cannot be reached (connection refused, server shutting down or starting, too many
    /// connections): retryable, so 503 UNAVAILABLE rather than a 500. Exceptions raised in a silo
    /// arrive rebuilt (<see cref="Chat.Grains.ChatSerialization"/>), or — from a peer without that setting — as
    /// Orleans' <see cref="Orleans.Serialization.UnavailableExceptionFallbackException"/> carrying the type name.
    /// </summary>
    private static bool IsDatabaseUnavailable(Exception exception) => exception switch
    {
        // Rebuilt on this side of the wire a PostgresException has lost its SqlState, but its message starts with it ("57P01: …").
        Npgsql.PostgresException postgres => IsConnectionState(postgres.SqlState ?? (postgres.Message.Length > 5 && postgres.Message[5] == ':' ? postgres.Message[..5] : "")),
        Npgsql.NpgsqlException => true,
        Orleans.Serialization.UnavailableExceptionFallbackException { ExceptionType: { } type } => type.StartsWith("Npgsql.NpgsqlException", StringComparison.Ordinal),
        _ => false,
    };

    private static bool IsConnectionState(string state) =>
        state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57", StringComparison.Ordinal) || state == "53300";

    /// <summary>The error of a bare status code.</summary>
    public static MappedError FromStatus(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => new(status, new ApiError(ChatErrorCodes.Unauthorized, "A valid bearer token is required.")),
        StatusCodes.Status403Forbidden => new(status, new ApiError(ChatErrorCodes.Forbidden, "Not allowed.")),
        StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed => new(StatusCodes.Status404NotFound, new ApiError(ChatErrorCodes.NotFound, "Not found.")),
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge(),
        StatusCodes.Status503ServiceUnavailable => Unavailable(),
        < 500 => new(StatusCodes.Status400BadRequest, new ApiError(ChatErrorCodes.ValidationError, "The request is malformed.")),
        _ => new(StatusCodes.Status500InternalServerError, new ApiError(ChatErrorCodes.InternalError, "An internal error occurred.")),
    };

    public static MappedError PayloadTooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, new ApiError(ChatErrorCodes.PayloadTooLarge, "The request body is too large."));

    public static MappedError Unavailable() =>
        new(StatusCodes.Status503ServiceUnavailable, new ApiError(ChatErrorCodes.Unavailable, "The service is temporarily unavailable; retry shortly.", RetryAfter: 1));

    /// <summary>True for failures worth logging as errors (bugs and dependency failures), not the caller's mistakes.</summary>
    public static bool IsServerFault(MappedError error) => error.Status >= 500;

    private static string BadRequestMessage(BadHttpRequestException bad) => bad.InnerException switch
    {
        System.Text.Json.JsonException => "The request body is not valid JSON for this operation.",
        _ when bad.StatusCode == StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON (Content-Type: application/json).",
        _ => "The request is malformed: " + bad.Message.Split(Environment.NewLine)[0],
    };

    private static string? FieldOf(System.Text.Json.JsonException json)
    {
        if (json.Path is not { Length: > 2 } path)
        {
            return null;
        }

        var field = path[2..];
        var end = field.IndexOfAny(['.', '[']);
        return end > 0 ? field[..end] : field;
    }

    /// <summary>The field a JSON error points at (<c>$.userIds[2]</c> gives <c>userIds</c>), else the parameter named by the framework.</summary>
    private static string? FieldOf(BadHttpRequestException bad)
    {
        if (bad.InnerException is System.Text.Json.JsonException json)
        {
            return FieldOf(json);
        }

        // "Failed to bind parameter "long? before" from "abc"." names the parameter.
        var message = bad.Message;
        var start = message.IndexOf('"', StringComparison.Ordinal);
        var stop = start >= 0 ? message.IndexOf('"', start + 1) : -1;
        if (start >= 0 && stop > start)
        {
            var parameter = message[(start + 1)..stop];
            var space = parameter.LastIndexOf(' ');
            return space >= 0 ? parameter[(space + 1)..] : parameter;
        }

        return null;
    }
}

/// <summary>Helpers producing <see cref="ApiErrorResponse"/> results.</summary>
internal static class ApiResults
{
    public static IResult Error(int statusCode, string code, string message, string? details = null) =>
        Results.Json(new ApiErrorResponse(new ApiError(code, message, details)), statusCode: statusCode);
}
