using Chat.ServiceDefaults.Database;
using Npgsql;

namespace Chat.Grains.Storage;

/// <summary>The chat domain's PostgreSQL pool: the host's pool on <c>Chat:Database</c> (<see cref="ChatDataSource"/>), shared rather than duplicated.</summary>
internal sealed class ChatDatabase(ChatDataSource pool)
{
    public NpgsqlDataSource DataSource => pool.DataSource;

    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken = default) => DataSource.OpenConnectionAsync(cancellationToken);
}

/// <summary>Small helpers that keep every statement parameterised ($1, $2, … positional parameters).</summary>
internal static class Sql
{
    public static NpgsqlCommand Command(this NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction, params object?[] args)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var arg in args)
        {
            command.Parameters.Add(arg is NpgsqlParameter p ? p : new NpgsqlParameter { Value = arg ?? DBNull.Value });
        }

        return command;
    }

    public static async Task<int> ExecuteAsync(this NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction, params object?[] args)
    {
        await using var command = connection.Command(sql, transaction, args);
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public static async Task<T?> ScalarAsync<T>(this NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction, params object?[] args)
    {
        await using var command = connection.Command(sql, transaction, args);
        var value = await command.ExecuteScalarAsync().ConfigureAwait(false);
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>A typed null parameter (PostgreSQL cannot infer the type of an untyped null in every position).</summary>
    public static NpgsqlParameter Null(NpgsqlTypes.NpgsqlDbType type) => new() { Value = DBNull.Value, NpgsqlDbType = type };

    public static NpgsqlParameter Uuid(Guid? value) => new() { Value = value.HasValue ? value.Value : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid };

    public static NpgsqlParameter Text(string? value) => new() { Value = value is null ? DBNull.Value : value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };

    public static NpgsqlParameter Time(DateTimeOffset? value) => new() { Value = value.HasValue ? value.Value : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz };

    public static NpgsqlParameter Bigint(long? value) => new() { Value = value.HasValue ? value.Value : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint };

    public static Guid? GetGuidOrNull(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetGuid(ordinal);

    public static string? GetStringOrNull(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static DateTimeOffset GetTime(this NpgsqlDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    public static DateTimeOffset? GetTimeOrNull(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    public static long? GetInt64OrNull(this NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    /// <summary>True for a unique violation, optionally of one constraint.</summary>
    public static bool IsUniqueViolation(this PostgresException exception, string? constraint = null) =>
        exception.SqlState == PostgresErrorCodes.UniqueViolation && (constraint is null || exception.ConstraintName == constraint);

    public static bool IsForeignKeyViolation(this PostgresException exception) => exception.SqlState == PostgresErrorCodes.ForeignKeyViolation;
}

/// <summary>Current time at PostgreSQL's precision (microseconds), so values read back compare equal after a restart.</summary>
internal static class Clock
{
    public static DateTimeOffset Now(TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero);
    }
}
