using System.Text;
using FastRebal.Cli;

namespace FastRebal.Engine.Tests;

/// <summary>User mistakes through the real entry point: each is a clear one-line error with exit code 2, never a stack trace.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class InputCliTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-input-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static string Example => Path.Combine(AppContext.BaseDirectory, "Examples", "quickstart.json");

    private string In(string name) => Path.Combine(directory, name);

    private static string BadInput(params string[] args)
    {
        var (code, _, error) = CliRunner.Run(args);
        Assert.True(code == ExitCodes.BadInput, $"exit {code}: {error}");
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", error, StringComparison.Ordinal);
        return error;
    }

    [Theory]
    [InlineData("--slice-interval", "-00:00:05", "--slice-interval")]
    [InlineData("--checkpoint-interval", "00:00:00", "--checkpoint-interval")]
    [InlineData("--checkpoint-replay-ms", "-1", "--checkpoint-replay-ms")]
    [InlineData("--checkpoint-journal-mb", "-1", "--checkpoint-journal-mb")]
    [InlineData("--accounts", "2147483647", "--accounts")]
    [InlineData("--positions", "1", "--positions")]
    public void Run_refuses_nonsense_options_before_any_work(string option, string value, string named)
    {
        var error = BadInput("run", "--feed", "random", "--duration", "00:00:01", option, value);

        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("demo")]
    [InlineData("sweep")]
    public void A_firm_shape_that_does_not_exist_is_refused_naming_the_option_the_value_and_the_shapes_there_are(string command)
    {
        var error = BadInput(command, "--accounts", "100", "--firm-shape", "Sideways");

        Assert.Contains("--firm-shape must be uniform or realistic (got 'Sideways')", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_refuses_a_replay_path_that_does_not_exist() =>
        Assert.Contains("--feed replay:/no/such/file.csv: no such file or folder", BadInput("run", "--accounts", "100", "--feed", "replay:/no/such/file.csv"), StringComparison.Ordinal);

    [Theory]
    [InlineData("--audit")]
    [InlineData("--blotter")]
    [InlineData("--kill-switch-file")]
    public void Run_refuses_a_folder_where_a_file_is_written(string option)
    {
        var error = BadInput("run", "--accounts", "100", "--feed", "random", "--duration", "00:00:01", option, directory);

        Assert.Contains($"{option} {directory}: is a folder; give a file", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_refuses_a_state_folder_that_is_a_file()
    {
        File.WriteAllText(In("state"), "x");

        Assert.Contains("is a file; give a folder", BadInput("run", "--accounts", "100", "--feed", "random", "--duration", "00:00:01", "--state", In("state")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2030-01-01", null)]
    [InlineData("1990-01-01", null)]
    [InlineData("2025-06-27", "2025-06-29")]
    public void Run_refuses_a_replay_range_outside_the_data_and_states_the_range_there_is(string from, string? to)
    {
        string[] args = ["run", "--accounts", "100", "--from", from, "--json"];
        var error = BadInput(to is null ? args : [.. args, "--to", to]);

        Assert.Contains($"--from {from}", error, StringComparison.Ordinal);
        Assert.Contains("the replay data has prices from", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_refuses_a_replay_file_of_a_symbol_the_firm_does_not_hold()
    {
        var file = In("etf_ZZZ_daily.csv");
        File.WriteAllText(file, "date,close,split_adj_close\n2025-03-31,10,10\n2025-04-01,11,11\n");

        var error = BadInput("run", "--accounts", "100", "--feed", $"replay:{file}", "--json");

        Assert.Contains("the data holds ZZZ, none of them an instrument of the firm", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Infinity")]
    [InlineData("1e999")]
    [InlineData("1e308")]
    [InlineData("NaN")]
    public void Run_refuses_a_replay_file_with_a_close_that_is_not_a_usable_price(string close)
    {
        var file = In("etf_SPY_daily.csv");
        File.WriteAllText(file, $"date,close,split_adj_close\n2025-03-31,10,10\n2025-04-01,{close},{close}\n");

        var error = BadInput("run", "--accounts", "100", "--feed", $"replay:{file}", "--json");

        Assert.Contains("line 3", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_on_a_state_folder_of_another_firm_or_with_an_edited_book_file_is_bad_input()
    {
        var state = In("state");
        var (first, _, firstError) = CliRunner.Run("run", "--accounts", "100", "--feed", "random", "--duration", "00:00:01", "--state", state, "--json");
        Assert.True(first == ExitCodes.Ok, firstError);

        Assert.Contains("belongs to another book", BadInput("run", "--accounts", "120", "--feed", "random", "--duration", "00:00:01", "--state", state, "--json"), StringComparison.Ordinal);
        Assert.Contains("belongs to another book", BadInput("run", "--accounts", "100", "--feed", "random", "--duration", "00:00:01", "--state", state, "--json", "--firm-shape", "uniform"), StringComparison.Ordinal);
        Assert.Contains("--harvest needs --lots", BadInput("run", "--accounts", "100", "--feed", "random", "--duration", "00:00:01", "--harvest"), StringComparison.Ordinal);
        // The same firm with lots, or a state with lots run without: the lots would be lost or invented.
        Assert.Contains("keeps no tax lots", BadInput("run", "--accounts", "100", "--feed", "random", "--duration", "00:00:01", "--state", state, "--json", "--lots"), StringComparison.Ordinal);
        var withLots = In("state-lots");
        Assert.Equal(ExitCodes.Ok, CliRunner.Run("run", "--accounts", "100", "--feed", "random", "--duration", "00:00:01", "--state", withLots, "--json", "--lots").ExitCode);
        Assert.Contains("keeps tax lots", BadInput("run", "--accounts", "100", "--feed", "random", "--duration", "00:00:01", "--state", withLots, "--json"), StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(state, "book"), new string('x', 1_000_000));
        Assert.True(BadInput("run", "--accounts", "100", "--feed", "random", "--duration", "00:00:01", "--state", state, "--json").Length < 3_000);
    }

    [Fact]
    public void Rebalance_refuses_folders_and_missing_folders_for_its_files()
    {
        Assert.Contains("a firm folder needs firm.json", BadInput("rebalance", "--scenario", directory), StringComparison.Ordinal);
        Assert.Contains("is a folder", BadInput("rebalance", "--scenario", Example, "--out", directory), StringComparison.Ordinal);
        Assert.Contains("does not exist", BadInput("rebalance", "--scenario", Example, "--out", Path.Combine(directory, "no", "out.json")), StringComparison.Ordinal);
        Assert.Contains("--approvals", BadInput("rebalance", "--scenario", Example, "--approvals", directory, "--out", In("o.json")), StringComparison.Ordinal);
        Assert.Contains("--audit", BadInput("harvest", "--scenario", Example, "--audit", directory, "--out", In("o.json")), StringComparison.Ordinal);
        Assert.False(File.Exists(In("o.json")), "nothing is written when an option is refused");
    }

    [Fact]
    public void Other_commands_refuse_folders_and_nonsense_counts()
    {
        Assert.Contains("--out", BadInput("generate", "--accounts", "10", "--out", directory), StringComparison.Ordinal);
        Assert.Contains("--queue", BadInput("approvals", "--queue", directory), StringComparison.Ordinal);
        Assert.Contains("a firm folder needs firm.json", BadInput("kpi", "--scenario", directory), StringComparison.Ordinal);
        Assert.Contains("--iterations", BadInput("sweep", "--accounts", "100", "--iterations", "0"), StringComparison.Ordinal);
        Assert.Contains("--iterations", BadInput("sweep", "--accounts", "100", "--iterations", "100000000"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_scenario_that_is_not_utf8_is_refused_with_the_byte_offset()
    {
        var bytes = File.ReadAllBytes(Example).ToList();
        bytes.InsertRange(40, [0xFF, 0xFE]);
        File.WriteAllBytes(In("bad.json"), [.. bytes]);

        Assert.Contains("bad.json: not valid UTF-8 at byte offset 40", BadInput("rebalance", "--scenario", In("bad.json"), "--out", In("o.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void An_approval_queue_that_is_not_utf8_is_refused_with_the_byte_offset()
    {
        File.WriteAllBytes(In("queue.json"), [(byte)'{', (byte)' ', 0xC0, (byte)'}']);

        Assert.Contains("queue.json: not valid UTF-8 at byte offset 2", BadInput("approvals", "--queue", In("queue.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_value_is_not_echoed_whole()
    {
        var id = new string('Q', 5_000_000);
        File.WriteAllText(In("huge.json"), File.ReadAllText(Example).Replace("\"modelId\": \"BAL6040\", \"cash\": 500", $"\"modelId\": \"{id}\", \"cash\": 500", StringComparison.Ordinal));

        var error = BadInput("rebalance", "--scenario", In("huge.json"), "--out", In("o.json"), "--quiet");

        Assert.True(error.Length < 3_000, $"{error.Length} characters");
        Assert.Contains("(5,000,000 characters)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_not_a_number_sleeve_weight_is_bad_input_for_its_model_not_an_internal_error()
    {
        File.WriteAllText(In("nan.json"), File.ReadAllText(Example).Replace("\"weight\": 0.4,", "\"weight\": \"NaN\",", StringComparison.Ordinal));

        var error = BadInput("rebalance", "--scenario", In("nan.json"), "--out", In("o.json"), "--quiet");

        Assert.Contains("model BAL6040, sleeves[1].weight: must be between 0 and 1, got NaN", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_field_in_a_scenario_leaves_out_its_account_and_the_rest_run()
    {
        File.WriteAllText(In("typo.json"), File.ReadAllText(Example).Replace("\"mode\": \"toTarget\"", "\"mdoe\": \"toTarget\"", StringComparison.Ordinal), Encoding.UTF8);

        var error = BadInput("rebalance", "--scenario", In("typo.json"), "--out", In("o.json"), "--quiet");

        Assert.Contains("typo.json: $.accounts[2].policy.mdoe: unknown field; account ACC-3 is left out", error, StringComparison.Ordinal);
        Assert.Contains("\"ACC-1\"", File.ReadAllText(In("o.json")), StringComparison.Ordinal);
    }
}
