using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Drift;
using FastRebal.Engine.State;

namespace FastRebal.Bench.Drift;

/// <summary>
/// The live pipeline's sweep, which copies the new prices onto the marks as it reads them, over 100k accounts x 20
/// positions on one core. The baseline gathers every slot's price through its instrument index; against it, the same
/// sweep reading the prices of accounts that share a lineup from its price row, and both with the sweep partner
/// taking chunks on the second core.
/// </summary>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("drift")]
public class LiveSweepBenchmarks
{
    private AccountBook book = null!;
    private DriftReport report = null!;
    private InstrumentLineups rows = null!;
    private InstrumentLineups noRows = null!;
    private SweepPartner partner = null!;

    [GlobalSetup]
    public void Setup()
    {
        book = SweepBook.Generate(100_000);
        report = new DriftReport(book);
        rows = book.Lineups;
        noRows = InstrumentLineups.Find(book.SlotStart.ToArray(), book.InstrumentIndices.ToArray(), maxRowSlots: 0);
        partner = new SweepPartner();
    }

    [GlobalCleanup]
    public void Cleanup() => partner.Dispose();

    [Benchmark(Baseline = true, Description = "live sweep, prices gathered, 1 core")]
    public void Gathered()
    {
        book.Lineups = noRows;
        DriftSweep.RunRange(book, report, 0, book.AccountCount, refreshMarks: true);
    }

    [Benchmark(Description = "live sweep, lineup rows, 1 core")]
    public void Rows()
    {
        book.Lineups = rows;
        DriftSweep.RunRange(book, report, 0, book.AccountCount, refreshMarks: true);
    }

    [Benchmark(Description = "live sweep, lineup rows, with the sweep partner")]
    public void RowsWithPartner()
    {
        book.Lineups = rows;
        partner.RunRange(book, report, 0, book.AccountCount, refreshMarks: true);
    }
}
