using System.Text.Json;
using FastRebal.Cli;

namespace FastRebal.Engine.Tests.Firms;

/// <summary><c>run --adv</c> and <c>--default-adv</c> through the real entry point, and the line naming the instruments on the default.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class AverageDailyVolumeCliTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-advcli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string Example => FirmFolderTests.Example;

    private string File(string name, string text)
    {
        var path = Path.Combine(directory, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The SPY child orders a blotter holds, by quantity.</summary>
    private static List<decimal> SpyChildren(string blotter) =>
        [.. System.IO.File.ReadLines(blotter).Select(l => l.Split(',')).Where(f => f[0] == "new" && f[4] == "SPY").Select(f => decimal.Parse(f[6], System.Globalization.CultureInfo.InvariantCulture))];

    [Fact]
    public void Run_names_the_instrument_the_firm_gives_no_volume_and_an_adv_file_supplies_it()
    {
        var (code, _, error) = CliRunner.Run("run", "--firm", Example, "--to", "2025-04-30");

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("average daily volume: 1 of 8 instruments has none and is sliced by the default 1,000,000 shares/day: GLD", error, StringComparison.Ordinal);

        var adv = File("adv.csv", "instrument_id,average_daily_volume\nGLD,8000000\nXYZ,100\n");
        var supplied = CliRunner.Run("run", "--firm", Example, "--to", "2025-04-30", "--adv", adv);

        // An instrument the book does not hold is a warning, not bad input.
        Assert.True(supplied.ExitCode == ExitCodes.Ok, supplied.Error);
        Assert.Contains("fastrebal: warning: adv.csv line 3, instrument_id: no instrument 'XYZ' in the book", supplied.Error, StringComparison.Ordinal);
        Assert.Contains("average daily volume: 1 instrument(s) from", supplied.Error, StringComparison.Ordinal);
        Assert.Contains("average daily volume: known for all 8 instruments; none is sliced by the default", supplied.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_adv_file_ahead_of_the_firms_own_volume_caps_the_children_run_sends()
    {
        var before = Path.Combine(directory, "before.csv");
        var after = Path.Combine(directory, "after.csv");
        // 500 shares a day: 1% caps SPY's children at 5 shares, far under the firm's own 60 million.
        var adv = File("adv.csv", "instrument_id,average_daily_volume\nSPY,500\n");

        var plain = CliRunner.Run("run", "--firm", Example, "--to", "2025-06-30", "--blotter", before);
        var capped = CliRunner.Run("run", "--firm", Example, "--to", "2025-06-30", "--blotter", after, "--adv", adv);

        Assert.True(plain.ExitCode == ExitCodes.Ok, plain.Error);
        Assert.True(capped.ExitCode == ExitCodes.Ok, capped.Error);
        var (uncut, cut) = (SpyChildren(before), SpyChildren(after));
        Assert.Contains(uncut, q => q > 5);
        Assert.All(cut, q => Assert.True(q <= 5, $"a SPY child of {q} shares"));
        Assert.True(cut.Count > uncut.Count, $"{cut.Count} children with the cap, {uncut.Count} without");
    }

    [Fact]
    public void A_bad_row_of_the_adv_file_is_named_by_line_and_column_and_the_run_exits_with_bad_input()
    {
        var adv = File("volumes.csv", "instrument_id,average_daily_volume\nGLD,-3\nVNQ,4000000\n");

        var (code, output, error) = CliRunner.Run("run", "--firm", Example, "--to", "2025-04-30", "--adv", adv);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("fastrebal: bad input: volumes.csv line 2, average_daily_volume: must be positive (shares per day) and at most 1e12, got -3; the row is not used", error, StringComparison.Ordinal);
        // The row left out leaves GLD on the default, and the run goes on.
        Assert.Contains("average daily volume: 1 of 8 instruments has none and is sliced by the default 1,000,000 shares/day: GLD", error, StringComparison.Ordinal);
        Assert.Contains("live pipeline: 12 accounts", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    public void Run_refuses_a_default_volume_that_is_not_positive(string value)
    {
        var (code, _, error) = CliRunner.Run("run", "--firm", Example, "--default-adv", value);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"--default-adv must be positive (shares per day) and at most 1e12, got {value}", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_generated_firm_has_no_volumes_so_every_instrument_is_flagged_with_the_default_given()
    {
        var (code, output, error) = CliRunner.Run("run", "--accounts", "200", "--positions", "8", "--feed", "random", "--duration", "00:00:01", "--warmup", "00:00:00", "--default-adv", "250000", "--json");

        Assert.True(code == ExitCodes.Ok, error);
        using var json = JsonDocument.Parse(output);
        var flagged = json.RootElement.GetProperty("defaultAdv");
        Assert.Equal(250_000m, flagged.GetProperty("sharesPerDay").GetDecimal());
        Assert.Contains("SPY", flagged.GetProperty("instruments").EnumerateArray().Select(i => i.GetString()));
        Assert.True(flagged.GetProperty("instruments").GetArrayLength() > 8);
    }
}
