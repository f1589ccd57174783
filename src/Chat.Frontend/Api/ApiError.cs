namespace Chat.Frontend.Api;

/// <summary>The one error shape of REST and hub (SPEC section 7): <c>{"error": {code, message, details?, retryAfter?}}</c>.</summary>
public sealed record ApiErrorResponse(ApiError Error);

/// <summary>Body of <see cref="ApiErrorResponse"/>.</summary>
public sealed record ApiError(string Code, string Message, object? Details = null, int? RetryAfter = null);

/// <summary>Error codes of SPEC section 7.</summary>
public static class ApiErrorCodes
{
    public const string NotFound = "NOT_FOUND";
}

/// <summary>Helpers producing <see cref="ApiErrorResponse"/> results.</summary>
public static class ApiResults
{
    public static IResult Error(int statusCode, string code, string message) =>
        Results.Json(new ApiErrorResponse(new ApiError(code, message)), statusCode: statusCode);
}
