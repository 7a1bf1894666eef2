using FastRebal.Engine.Firms;
using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.Tests.Firms;

namespace FastRebal.Engine.Tests.Slicing;

/// <summary>
/// Average daily volume per instrument: from the firm's instruments, from a market-data file ahead of them, or a stated
/// default that is flagged; and the live engine's children kept under the %ADV cap it gives.
/// </summary>
public sealed class AverageDailyVolumeTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("fastrebal-adv-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>A copy of the example firm with its firm.json edited.</summary>
    private string ExampleWithFirmJson(Func<string, string> edit)
    {
        var copy = Path.Combine(directory, "firm");
        Directory.CreateDirectory(copy);
        foreach (var path in Directory.GetFiles(FirmFolderTests.Example))
        {
            File.Copy(path, Path.Combine(copy, Path.GetFileName(path)), overwrite: true);
        }
        var json = Path.Combine(copy, FirmFolder.FirmJson);
        File.WriteAllText(json, edit(File.ReadAllText(json)));
        return copy;
    }

    private string AdvFile(string text)
    {
        var path = Path.Combine(directory, "adv.csv");
        File.WriteAllText(path, text);
        return path;
    }

    private const string VnqVolume = "\"averageDailyVolume\": 5000000";

    [Fact]
    public void The_example_firm_gives_seven_of_its_eight_instruments_a_volume_and_the_engine_flags_the_eighth()
    {
        var firm = ImportedFirm.Load(FirmFolderTests.Example);

        Assert.Empty(firm.Errors);
        var instruments = firm.Book.Instruments;
        Assert.Equal(60_000_000m, instruments[instruments.IndexOf("SPY")].AverageDailyVolume);
        Assert.Equal(5_000_000m, instruments[instruments.IndexOf("VNQ")].AverageDailyVolume);
        Assert.Null(instruments[instruments.IndexOf("GLD")].AverageDailyVolume);
        var volumes = new AverageDailyVolumes(instruments);
        Assert.Equal(60_000_000m, volumes[instruments.IndexOf("SPY")]);
        Assert.Equal(AverageDailyVolumes.StandardDefault, volumes[instruments.IndexOf("GLD")]);
        Assert.Equal(["GLD"], volumes.UsingDefault.Select(i => i.Id));
        Assert.Equal("average daily volume: 1 of 8 instruments has none and is sliced by the default 1,000,000 shares/day: GLD", volumes.Describe());
    }

    [Theory]
    [InlineData("0", "instrument VNQ, averageDailyVolume: must be positive (shares per day) and at most 1e12, got 0")]
    [InlineData("-250000", "instrument VNQ, averageDailyVolume: must be positive (shares per day) and at most 1e12, got -250000")]
    [InlineData("2e12", "instrument VNQ, averageDailyVolume: must be positive (shares per day) and at most 1e12, got 2000000000000")]
    [InlineData("\"heavy\"", "firm.json: $.instruments[6].averageDailyVolume: expects a number, got \"heavy\"; instrument VNQ is left out")]
    [InlineData("\"NaN\"", "firm.json: $.instruments[6].averageDailyVolume: expects a number, got \"NaN\"; instrument VNQ is left out")]
    public void A_bad_volume_in_the_firm_names_the_instrument_and_field_and_leaves_out_the_instrument_as_any_bad_instrument_field_does(string value, string error)
    {
        var folder = ExampleWithFirmJson(json => Replace(json, VnqVolume, $"\"averageDailyVolume\": {value}"));

        var firm = ImportedFirm.Load(folder);

        Assert.Contains(error, firm.Errors.Select(e => e.ToString()));
        Assert.False(firm.Book.Instruments.TryGetIndex("VNQ", out _));
        // The models that hold VNQ go with it, and so do their accounts; the others still load.
        Assert.Contains(firm.Errors, e => e.ToString().Contains("unknown or rejected instrument 'VNQ'", StringComparison.Ordinal));
        Assert.InRange(firm.Book.AccountCount, 1, 11);
    }

    [Fact]
    public void A_firm_written_as_a_firm_folder_keeps_the_volumes_it_knows_and_writes_none_for_the_others()
    {
        var firm = ImportedFirm.Load(FirmFolderTests.Example);
        var folder = Path.Combine(directory, "written");

        FirmFolderWriter.Write(folder, firm.Book, firm.AsOf);
        var read = ImportedFirm.Load(folder);

        Assert.Empty(read.Errors);
        Assert.Equal(
            firm.Book.Instruments.All.Select(i => (i.Id, i.AverageDailyVolume)),
            read.Book.Instruments.All.Select(i => (i.Id, i.AverageDailyVolume)));
        Assert.Equal(7, read.Book.Instruments.All.Count(i => i.AverageDailyVolume is not null));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, FirmFolder.FirmJson)));
        var gld = json.RootElement.GetProperty("instruments").EnumerateArray().Single(i => i.GetProperty("id").GetString() == "GLD");
        Assert.False(gld.TryGetProperty("averageDailyVolume", out _));
    }

    [Fact]
    public void An_adv_file_supplies_and_overrides_volumes_names_its_bad_rows_by_line_and_column_and_warns_of_unknown_instruments()
    {
        var firm = ImportedFirm.Load(FirmFolderTests.Example);
        var instruments = firm.Book.Instruments;
        var path = AdvFile("""
            instrument_id,average_daily_volume
            GLD,8000000
            SPY,75000000
            XYZ,100
            VTI,lots
            EFA,0
            SPY,1
            """);

        var read = AverageDailyVolumeFile.Read(path, instruments);
        var volumes = new AverageDailyVolumes(instruments, read.Volumes);

        Assert.Equal(
            [
                "adv.csv line 5, average_daily_volume: expects a number (like 1234.56), got 'lots'; the row is not used",
                "adv.csv line 6, average_daily_volume: must be positive (shares per day) and at most 1e12, got 0; the row is not used",
                "adv.csv line 7, instrument_id: 'SPY' is given twice (first on line 3); the row is not used",
            ],
            read.Errors.Select(e => e.ToString()));
        Assert.Equal(["adv.csv line 4, instrument_id: no instrument 'XYZ' in the book (unknown, or left out for its own errors); the row is ignored"], read.Warnings.Select(e => e.ToString()));
        // The file goes ahead of the firm's own figure; a bad row leaves the firm's figure in place.
        Assert.Equal(75_000_000m, volumes[instruments.IndexOf("SPY")]);
        Assert.Equal(8_000_000m, volumes[instruments.IndexOf("GLD")]);
        Assert.Equal(4_000_000m, volumes[instruments.IndexOf("VTI")]);
        Assert.Equal(15_000_000m, volumes[instruments.IndexOf("EFA")]);
        Assert.Empty(volumes.UsingDefault);
        Assert.Equal("average daily volume: known for all 8 instruments; none is sliced by the default", volumes.Describe());
    }

    [Theory]
    [InlineData("instrument,average_daily_volume\nSPY,1\n", "adv.csv: unknown column 'instrument'")]
    [InlineData("instrument_id\nSPY\n", "adv.csv: missing column(s) average_daily_volume")]
    public void An_adv_file_with_a_bad_header_is_refused_naming_the_file(string text, string message)
    {
        var path = AdvFile(text);

        var e = Assert.Throws<ScenarioFormatException>(() => AverageDailyVolumeFile.Read(path, ImportedFirm.Load(FirmFolderTests.Example).Book.Instruments));

        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_engine_refuses_volumes_it_cannot_use_before_it_opens_anything()
    {
        var book = new TestBook().Instrument("AAA", 100).Model("M", ("AAA", 1.0)).Account("A1", "M", 1000m).Load().Book;

        Assert.Throws<ArgumentOutOfRangeException>(() => new EngineHost(book, new SilentFeed(), new InMemoryOrderSink(), new EngineOptions { DefaultAverageDailyVolume = 0 }));
        Assert.Contains("'ZZZ', which is not an instrument of the book",
            Assert.Throws<ArgumentException>(() => new EngineHost(book, new SilentFeed(), new InMemoryOrderSink(), new EngineOptions { AverageDailyVolumes = new Dictionary<string, decimal> { ["ZZZ"] = 5 } })).Message,
            StringComparison.Ordinal);
    }

    public static TheoryData<Dictionary<string, decimal>?, decimal, int, int, string[]> Slicings => new()
    {
        // AAA's own 20,000 shares a day caps its children at 200 shares (1%); BBB has none and takes the default, whose
        // cap (10,000 shares) is above the whole block, as is the notional cap (1,000,000 at 100).
        { null, AverageDailyVolumes.StandardDefault, 200, 10_000, ["BBB"] },
        // A smaller default slices BBB finer and it is still the one flagged.
        { null, 40_000m, 200, 400, ["BBB"] },
        // A market-data file's figures go ahead of AAA's own and give BBB one: nothing is flagged.
        { new() { ["AAA"] = 1_000_000m, ["BBB"] = 30_000m }, AverageDailyVolumes.StandardDefault, 10_000, 300, [] },
    };

    [Theory]
    [MemberData(nameof(Slicings))]
    public async Task The_live_engine_slices_each_block_under_its_instruments_volume_and_flags_those_on_the_default(
        Dictionary<string, decimal>? overrides, decimal defaultVolume, int aaaCap, int bbbCap, string[] flagged)
    {
        var loaded = new TestBook()
            .Instrument("AAA", 100, adv: 20_000m).Instrument("BBB", 100)
            .Model("M", ("AAA", 0.5), ("BBB", 0.5))
            .Account("A1", "M", 1_000_000m)
            .Load();
        Assert.Empty(loaded.Errors);
        var sink = new InMemoryOrderSink();
        await using var engine = new EngineHost(loaded.Book, new SilentFeed(), sink, new EngineOptions
        {
            Slicing = new SlicingPolicy { Interval = TimeSpan.Zero },
            AverageDailyVolumes = overrides,
            DefaultAverageDailyVolume = defaultVolume,
        });

        engine.Start();
        await engine.WaitForFeedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        engine.Stop();

        Assert.Null(engine.Status().Fault);
        Assert.Equal(flagged, engine.AverageDailyVolumes.UsingDefault.Select(i => i.Id));
        var children = sink.Recent();
        // The opening invests the cash: 5,000 shares of each, in as few children as the cap allows.
        foreach (var (instrument, cap) in new[] { ("AAA", aaaCap), ("BBB", bbbCap) })
        {
            var legs = children.Where(c => c.InstrumentId == instrument).ToList();
            Assert.Equal(5_000m, legs.Sum(c => c.Quantity));
            Assert.All(legs, c => Assert.True(c.Quantity <= cap, $"{c.Id}: {c.Quantity} over the cap of {cap}"));
            Assert.Equal((int)Math.Ceiling(5_000m / Math.Min(cap, 5_000)), legs.Count);
        }
    }

    private static string Replace(string text, string find, string replace)
    {
        Assert.Contains(find, text, StringComparison.Ordinal);
        return text.Replace(find, replace, StringComparison.Ordinal);
    }

    /// <summary>A feed with nothing to say: the engine runs its opening on the book's own prices and nothing after.</summary>
    private sealed class SilentFeed : IPriceFeed
    {
        public string Name => "silent";

        public int SourceCount => 3;

        public bool IsCompleted => true;

        public long Now { get; } = new DateTimeOffset(TestBook.AsOf.ToDateTime(new TimeOnly(14, 30)), TimeSpan.Zero).UtcTicks;

        public int Read(Span<SourceTick> destination) => 0;
    }
}
