namespace FastRebal.Engine.Tests;

/// <summary>Waits for a running engine to reach a state, failing the test with what it waited for once the time is up.</summary>
internal static class Waiting
{
    public static async Task Until(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(5);
        }
    }
}
