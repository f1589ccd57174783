namespace Chat.Runtime.Tests;

public sealed class GrainCallRetryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_call_failing_because_its_silo_is_unavailable_is_retried_until_it_succeeds()
    {
        var attempts = 0;
        var result = await GrainCallRetry.RunAsync(() =>
            ++attempts < 3 ? Task.FromException<int>(new SiloUnavailableException("gone")) : Task.FromResult(42)).WaitAsync(Timeout);

        Assert.Equal(42, result);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task A_call_without_a_result_is_retried_the_same_way()
    {
        var attempts = 0;
        await GrainCallRetry.RunAsync(() =>
            ++attempts < 3 ? Task.FromException(new SiloUnavailableException("gone")) : Task.CompletedTask).WaitAsync(Timeout);

        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task Once_the_budget_is_spent_the_last_failure_is_thrown()
    {
        var attempts = 0;
        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => GrainCallRetry.RunAsync(() =>
        {
            attempts++;
            return Task.FromException(new SiloUnavailableException($"attempt {attempts}"));
        }, TimeSpan.FromMilliseconds(400)).WaitAsync(Timeout));

        Assert.True(attempts >= 2, $"{attempts} attempts");
        Assert.Equal($"attempt {attempts}", error.Message);
    }

    [Fact]
    public async Task Other_failures_are_not_retried()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(() => GrainCallRetry.RunAsync(() =>
        {
            attempts++;
            return Task.FromException(new InvalidOperationException("a bug, not an outage"));
        }).WaitAsync(Timeout));

        Assert.Equal(1, attempts);
    }
}
