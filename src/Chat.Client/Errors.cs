using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Chat.Client;

/// <summary>The error object of SPEC section 7: <c>{"error": {code, message, details?, retryAfter?}}</c>.</summary>
/// <param name="Code">One of <see cref="ChatErrorCodes"/> (or a newer code this SDK does not know).</param>
/// <param name="Message">Human-readable explanation.</param>
/// <param name="Details">Optional detail as the server sent it (a field name, a string or an object).</param>
/// <param name="RetryAfter">Seconds until a retry may succeed (rate limiting).</param>
public sealed record ChatError(string Code, string Message, JsonElement? Details = null, int? RetryAfter = null);

/// <summary>The body of every error answer: <c>{"error": {...}}</c>.</summary>
public sealed record ChatErrorEnvelope(ChatError? Error);

/// <summary>The error codes of SPEC section 7.</summary>
public static partial class ChatErrorCodes
{
    /// <summary>400: malformed or out-of-range input.</summary>
    public const string ValidationError = "VALIDATION_ERROR";

    /// <summary>400: no content and no attachment.</summary>
    public const string EmptyMessage = "EMPTY_MESSAGE";

    /// <summary>400: attachment type not allowed.</summary>
    public const string InvalidFileType = "INVALID_FILE_TYPE";

    /// <summary>400: attachment over the limit.</summary>
    public const string FileTooLarge = "FILE_TOO_LARGE";

    /// <summary>401: no or bad token.</summary>
    public const string Unauthorized = "UNAUTHORIZED";

    /// <summary>403: authenticated but not allowed.</summary>
    public const string Forbidden = "FORBIDDEN";

    /// <summary>403: not an active participant of the conversation.</summary>
    public const string NotParticipant = "NOT_PARTICIPANT";

    /// <summary>404: no such resource (or not visible to the caller).</summary>
    public const string NotFound = "NOT_FOUND";

    /// <summary>409: a conversation that must be unique exists.</summary>
    public const string DuplicateConversation = "DUPLICATE_CONVERSATION";

    /// <summary>409: a state conflict.</summary>
    public const string Conflict = "CONFLICT";

    /// <summary>413: request body over the maximum.</summary>
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";

    /// <summary>429: over the rate limit.</summary>
    public const string RateLimited = "RATE_LIMITED";

    /// <summary>500: a bug or dependency failure.</summary>
    public const string InternalError = "INTERNAL_ERROR";

    /// <summary>503: temporarily unable; retryable.</summary>
    public const string Unavailable = "UNAVAILABLE";

    /// <summary>Every code of SPEC section 7.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        ValidationError, EmptyMessage, InvalidFileType, FileTooLarge, Unauthorized, Forbidden, NotParticipant,
        NotFound, DuplicateConversation, Conflict, PayloadTooLarge, RateLimited, InternalError, Unavailable,
    ];

    /// <summary>The code that SPEC section 7 gives an HTTP status, for answers without an error body.</summary>
    public static string OfStatus(HttpStatusCode status) => (int)status switch
    {
        400 => ValidationError,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        409 => Conflict,
        413 => PayloadTooLarge,
        429 => RateLimited,
        503 => Unavailable,
        _ => InternalError,
    };

    /// <summary>
    /// Finds the error a hub error message carries: the whole <c>{"error": {...}}</c> object when the
    /// message contains one, else the first known code that appears as a word; null when there is none.
    /// </summary>
    public static ChatError? FindIn(string? message)
    {
        if (string.IsNullOrEmpty(message))
        {
            return null;
        }

        var brace = message.IndexOf('{', StringComparison.Ordinal);
        if (brace >= 0)
        {
            var error = TryParseErrorJson(message.AsSpan(brace));
            if (error is not null)
            {
                return error;
            }
        }

        foreach (Match match in CodeToken().Matches(message))
        {
            if (All.Contains(match.Value))
            {
                return new ChatError(match.Value, message);
            }
        }

        return null;
    }

    private static ChatError? TryParseErrorJson(ReadOnlySpan<char> json)
    {
        try
        {
            // The JSON may be followed by more text; read exactly one value.
            var bytes = System.Text.Encoding.UTF8.GetBytes(json.ToArray());
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowTrailingCommas = true });
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var inner) && inner.ValueKind == JsonValueKind.Object)
            {
                root = inner;
            }

            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            var text = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : code.GetString()!;
            JsonElement? details = root.TryGetProperty("details", out var d) && d.ValueKind != JsonValueKind.Null ? d.Clone() : null;
            int? retryAfter = root.TryGetProperty("retryAfter", out var r) && r.ValueKind == JsonValueKind.Number && r.TryGetInt32(out var seconds) ? seconds : null;
            return new ChatError(code.GetString()!, text, details, retryAfter);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex("[A-Z][A-Z_]{3,}[A-Z]")]
    private static partial Regex CodeToken();
}

/// <summary>The rate-limit headers of an answer (<c>X-RateLimit-Limit / -Remaining / -Reset</c>).</summary>
/// <param name="Limit">Requests allowed per window.</param>
/// <param name="Remaining">Requests still allowed now.</param>
/// <param name="Reset">The reset value as the server sent it (seconds).</param>
public sealed record RateLimitInfo(int? Limit, int? Remaining, long? Reset);

/// <summary>Base of the errors this SDK throws for answers of the chat API; <see cref="Error"/> carries the section 7 object.</summary>
public abstract class ChatClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected ChatClientException(ChatError error, string message, Exception? innerException = null)
        : base(message, innerException) => Error = error;

    /// <summary>The SPEC section 7 error object.</summary>
    public ChatError Error { get; }

    /// <summary>Shortcut for <c>Error.Code</c>.</summary>
    public string Code => Error.Code;
}

/// <summary>A REST call answered with an error status.</summary>
public sealed class ChatApiException : ChatClientException
{
    /// <summary>Creates the exception.</summary>
    public ChatApiException(HttpStatusCode statusCode, ChatError error, RateLimitInfo? rateLimit = null, TimeSpan? retryAfter = null)
        : base(error, $"{(int)statusCode} {error.Code}: {error.Message}")
    {
        StatusCode = statusCode;
        RateLimit = rateLimit;
        RetryAfter = retryAfter ?? (error.RetryAfter is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
    }

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The rate-limit headers of the answer, when present.</summary>
    public RateLimitInfo? RateLimit { get; }

    /// <summary>The <c>Retry-After</c> header, else the error's <c>retryAfter</c>.</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>
/// A hub invocation the server completed with an error (e.g. a <c>HubException</c> thrown by the hub).
/// <see cref="ServerMessage"/> is the server's text; <see cref="ChatClientException.Error"/> the section 7
/// error found in it (code <c>INTERNAL_ERROR</c> when the text names none).
/// </summary>
public sealed class HubInvocationException : ChatClientException
{
    /// <summary>Creates the exception.</summary>
    public HubInvocationException(string method, string serverMessage)
        : base(ChatErrorCodes.FindIn(serverMessage) ?? new ChatError(ChatErrorCodes.InternalError, serverMessage), serverMessage)
    {
        Method = method;
        ServerMessage = serverMessage;
    }

    /// <summary>The invoked hub method.</summary>
    public string Method { get; }

    /// <summary>The error text of the completion, as the server sent it.</summary>
    public string ServerMessage { get; }
}

/// <summary>The hub connection could not be established, was lost during a call, or is not connected.</summary>
public sealed class HubConnectionException : IOException
{
    /// <summary>Creates the exception.</summary>
    public HubConnectionException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
