using Chat.Runtime.Hosting;
using Npgsql;

namespace Chat.Runtime.Tests;

public sealed class DataSourceTests
{
    [Fact]
    public void The_pool_skips_the_reset_on_close_and_prepares_hot_statements_by_default()
    {
        var builder = new NpgsqlConnectionStringBuilder(RuntimeDataSource.WithPoolDefaults("Host=db;Database=chat;Username=u;Password=secret"));

        Assert.True(builder.NoResetOnClose);
        Assert.Equal(64, builder.MaxAutoPrepare);
        Assert.Equal("db", builder.Host);
        Assert.Equal("secret", builder.Password);
    }

    [Theory]
    [InlineData("Host=db;No Reset On Close=false;Max Auto Prepare=0")]
    [InlineData("Host=db;noresetonclose=false;MAXAUTOPREPARE=0")]
    public void Settings_the_connection_string_names_itself_are_kept(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(RuntimeDataSource.WithPoolDefaults(connectionString));

        Assert.False(builder.NoResetOnClose);
        Assert.Equal(0, builder.MaxAutoPrepare);
    }
}
