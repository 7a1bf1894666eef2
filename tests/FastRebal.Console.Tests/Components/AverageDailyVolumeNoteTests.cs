using Bunit;
using FastRebal.Console.Components.Shared;
using FastRebal.Engine.Model;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.State;

namespace FastRebal.Console.Tests.Components;

/// <summary>The Orders page's note on which instruments the %ADV cap slices by the stated default.</summary>
public class AverageDailyVolumeNoteTests : ComponentTest
{
    private static InstrumentTable Instruments(int withVolume, int without) => new(
        Enumerable.Range(0, withVolume).Select(i => new Instrument($"V{i:00}", $"V{i:00}", "US Equity", AverageDailyVolume: 2_000_000m))
            .Concat(Enumerable.Range(0, without).Select(i => new Instrument($"N{i:00}", $"N{i:00}", "US Equity"))));

    [Fact]
    public void The_instruments_on_the_default_are_named_with_the_default_and_the_rest_counted()
    {
        this.AddConsole();
        var volumes = new AverageDailyVolumes(Instruments(3, 23), defaultVolume: 250_000m);

        var cut = Render<AverageDailyVolumeNote>(p => p.Add(n => n.Volumes, volumes));

        var text = cut.Find("#default-adv").TextContent;
        Assert.Contains("23 of 26 instruments have no average daily volume", text, StringComparison.Ordinal);
        Assert.Contains("sliced by the default of 250,000 shares/day", text, StringComparison.Ordinal);
        Assert.Contains("N00, N01", text, StringComparison.Ordinal);
        Assert.Contains("N19 and 3 more.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("V00", text, StringComparison.Ordinal);
    }

    [Fact]
    public void With_every_volume_known_the_note_says_so()
    {
        this.AddConsole();

        var cut = Render<AverageDailyVolumeNote>(p => p.Add(n => n.Volumes, new AverageDailyVolumes(Instruments(4, 0))));

        Assert.Equal("Every instrument has an average daily volume of its own for the %ADV cap.", cut.Find("#default-adv").TextContent);
    }
}
