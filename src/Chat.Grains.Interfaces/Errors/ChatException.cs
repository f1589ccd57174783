namespace Chat.Grains;

/// <summary>
/// A domain error of the chat API (SPEC section 7). It crosses grain and process boundaries intact:
/// the runtime's exception codec rebuilds it through the public constructor, whose parameter names
/// match <see cref="Exception.Message"/> and the public properties below.
/// </summary>
[GenerateSerializer, Alias("chat.ChatException")]
public sealed class ChatException : Exception
{
    /// <summary>Creates a domain error.</summary>
    /// <param name="code">One of <see cref="ChatErrorCodes"/>.</param>
    /// <param name="message">Human-readable explanation, safe to show to the caller.</param>
    /// <param name="details">Optional detail, e.g. the offending field's name, or "field: reason".</param>
    /// <param name="retryAfterSeconds">For <see cref="ChatErrorCodes.RateLimited"/>: seconds until a retry may succeed.</param>
    public ChatException(string code, string message, string? details = null, int? retryAfterSeconds = null)
        : base(message)
    {
        Code = code;
        Details = details;
        RetryAfterSeconds = retryAfterSeconds;
    }

    /// <summary>The SPEC section 7 error code, e.g. <c>NOT_PARTICIPANT</c>.</summary>
    [Id(0)]
    public string Code { get; private set; }

    /// <summary>Optional detail: for validation errors, the name of the offending field.</summary>
    [Id(1)]
    public string? Details { get; private set; }

    /// <summary>Seconds until a retry may succeed (rate limiting).</summary>
    [Id(2)]
    public int? RetryAfterSeconds { get; private set; }

    /// <summary>The HTTP status code of <see cref="Code"/>.</summary>
    public int HttpStatus => ChatErrorCodes.HttpStatusOf(Code);

    /// <summary>VALIDATION_ERROR naming the field.</summary>
    public static ChatException Validation(string field, string message) => new(ChatErrorCodes.ValidationError, message, field);

    /// <summary>FORBIDDEN.</summary>
    public static ChatException Forbidden(string message) => new(ChatErrorCodes.Forbidden, message);

    /// <summary>NOT_PARTICIPANT.</summary>
    public static ChatException NotParticipant() => new(ChatErrorCodes.NotParticipant, "You are not a participant of this conversation.");

    /// <summary>NOT_FOUND naming what was not found.</summary>
    public static ChatException NotFound(string what) => new(ChatErrorCodes.NotFound, $"{what} was not found.");

    /// <summary>CONFLICT.</summary>
    public static ChatException Conflict(string message) => new(ChatErrorCodes.Conflict, message);
}

/// <summary>The error codes of SPEC section 7 and their HTTP statuses.</summary>
public static class ChatErrorCodes
{
    /// <summary>400: malformed or out-of-range input; <see cref="ChatException.Details"/> names the field.</summary>
    public const string ValidationError = "VALIDATION_ERROR";

    /// <summary>400: a message without content and without attachments.</summary>
    public const string EmptyMessage = "EMPTY_MESSAGE";

    /// <summary>400: attachment type not allowed (decided by content sniffing).</summary>
    public const string InvalidFileType = "INVALID_FILE_TYPE";

    /// <summary>400: attachment over the size limits.</summary>
    public const string FileTooLarge = "FILE_TOO_LARGE";

    /// <summary>401: no or bad credentials.</summary>
    public const string Unauthorized = "UNAUTHORIZED";

    /// <summary>403: authenticated but not allowed (role, other organization).</summary>
    public const string Forbidden = "FORBIDDEN";

    /// <summary>403: not an active participant of the conversation.</summary>
    public const string NotParticipant = "NOT_PARTICIPANT";

    /// <summary>404: no such resource, or not visible to the caller.</summary>
    public const string NotFound = "NOT_FOUND";

    /// <summary>409: a conversation that must be unique already exists.</summary>
    public const string DuplicateConversation = "DUPLICATE_CONVERSATION";

    /// <summary>409: a state conflict the caller must resolve.</summary>
    public const string Conflict = "CONFLICT";

    /// <summary>413: request body over the configured maximum.</summary>
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";

    /// <summary>429: over the rate limit; see <see cref="ChatException.RetryAfterSeconds"/>.</summary>
    public const string RateLimited = "RATE_LIMITED";

    /// <summary>500: a bug or dependency failure (never with stack traces or SQL).</summary>
    public const string InternalError = "INTERNAL_ERROR";

    /// <summary>503: the cluster is temporarily unable; retryable.</summary>
    public const string Unavailable = "UNAVAILABLE";

    /// <summary>Every code, for validation and documentation.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        ValidationError, EmptyMessage, InvalidFileType, FileTooLarge, Unauthorized, Forbidden, NotParticipant,
        NotFound, DuplicateConversation, Conflict, PayloadTooLarge, RateLimited, InternalError, Unavailable,
    ];

    /// <summary>The HTTP status of a code (500 for unknown codes).</summary>
    public static int HttpStatusOf(string code) => code switch
    {
        ValidationError or EmptyMessage or InvalidFileType or FileTooLarge => 400,
        Unauthorized => 401,
        Forbidden or NotParticipant => 403,
        NotFound => 404,
        DuplicateConversation or Conflict => 409,
        PayloadTooLarge => 413,
        RateLimited => 429,
        Unavailable => 503,
        _ => 500,
    };
}
