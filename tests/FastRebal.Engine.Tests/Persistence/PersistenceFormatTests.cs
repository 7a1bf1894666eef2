using FastRebal.Engine.Ingestion;
using FastRebal.Engine.Orders.Slicing;
using FastRebal.Engine.Persistence;
using FastRebal.Engine.Pipeline;
using MemoryPack;

namespace FastRebal.Engine.Tests.Persistence;

public sealed partial class PersistenceFormatTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("fastrebal-format-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>What a build before <see cref="CheckpointCookie.ImageHash"/> existed wrote.</summary>
    [MemoryPackable(GenerateType.VersionTolerant)]
    public sealed partial class CookieBeforeImageHash
    {
        [MemoryPackOrder(0)] public long Sequence { get; set; }
        [MemoryPackOrder(1)] public long ReplayFrom { get; set; }
    }

    [Fact]
    public void Version_tolerant_records_read_what_older_and_newer_builds_wrote()
    {
        var old = MemoryPackSerializer.Serialize(new CookieBeforeImageHash { Sequence = 41, ReplayFrom = 4096 });
        var read = MemoryPackSerializer.Deserialize<CheckpointCookie>(old)!;
        // A member the writer did not know is left at its default: no hash, so such a checkpoint is refused as unverifiable.
        Assert.Equal((41, 4096, null), (read.Sequence, read.ReplayFrom, (string?)read.ImageHash));

        var newer = MemoryPackSerializer.Serialize(new CheckpointCookie { Sequence = 42, ReplayFrom = 8192, ImageHash = "AB" });
        var back = MemoryPackSerializer.Deserialize<CookieBeforeImageHash>(newer)!;
        Assert.Equal((42, 8192), (back.Sequence, back.ReplayFrom));
    }

    [Fact]
    public void The_journal_gives_back_every_committed_entry_in_order_and_drops_what_was_truncated()
    {
        long second;
        using (var journal = new EngineJournal(folder))
        {
            var delta = new VerifierDelta { Instruments = [0], Quote = [101.5, 101.6], QuoteTime = [10, 11], Verified = [101.55], VerifiedTime = [11], Freeze = [0], JumpCandidate = [0], JumpConfirmations = [0] };
            journal.AppendVerified(1, 2, 0, delta, [new PriceEvent { Instrument = 0, Price = 101.55, MarketTime = 11, FeedPosition = 2 }]);
            second = journal.Append(new JournalEntry { Kind = JournalEntryKind.StalenessCheck, Now = 99 });
            journal.AppendBatch(7, 1234, 2, [new AccountFill(3, 0, Orders.TradeSide.Buy, 10, 101.5m, true)], [], sweepLimit: 16_384);
        }
        using (var reopened = new EngineJournal(folder))
        {
            var entries = reopened.Read(0).Select(e => e.Entry).ToList();
            Assert.Equal([JournalEntryKind.Verified, JournalEntryKind.StalenessCheck, JournalEntryKind.Batch], entries.Select(e => e.Kind));
            Assert.Equal((1, 2), (entries[0].FirstPosition, entries[0].TickCount));
            Assert.Equal(101.6, entries[0].Delta!.Quote[1]);
            Assert.Equal((101.55, 2), (entries[0].Prices!.Single().Price, entries[0].Prices!.Single().FeedPosition));
            Assert.Equal((7, 1234, 2, 16_384), (entries[2].Sequence, entries[2].MarketTime, entries[2].FeedPosition, entries[2].SweepLimit));
            Assert.Equal(10m, entries[2].Fills!.Single().Quantity);
            Assert.Equal(7, reopened.CommittedBatch);

            reopened.TruncateUntil(second);
            Assert.Equal([JournalEntryKind.StalenessCheck, JournalEntryKind.Batch], reopened.Read(0).Select(e => e.Entry.Kind));
        }
    }

    [Fact]
    public void An_entry_larger_than_a_page_is_written_in_parts_and_read_back_whole_in_its_place()
    {
        // The fills of a whole opening in one batch: about 5 MB, more than a 4 MB page of the log can hold.
        var fills = Enumerable.Range(0, 120_000).Select(i => new AccountFill(i, i % 20, Orders.TradeSide.Buy, 10 + i, 101.5m, true)).ToList();
        using (var journal = new EngineJournal(folder))
        {
            journal.Append(new JournalEntry { Kind = JournalEntryKind.StalenessCheck, Now = 10 });
            journal.AppendBatch(1, 1234, 1, fills, []);
            journal.Append(new JournalEntry { Kind = JournalEntryKind.StalenessCheck, Now = 11 });
        }
        using var reopened = new EngineJournal(folder);

        var entries = reopened.Read(0).Select(e => e.Entry).ToList();

        Assert.Equal([JournalEntryKind.StalenessCheck, JournalEntryKind.Batch, JournalEntryKind.StalenessCheck], entries.Select(e => e.Kind));
        Assert.Equal(fills, entries[1].Fills);
        Assert.Equal(1, reopened.CommittedBatch);
    }

    [Fact]
    public void A_split_entry_whose_last_parts_never_reached_the_disk_is_dropped_and_the_rest_is_read()
    {
        using (var journal = new EngineJournal(folder))
        {
            // What a crash between the parts of a split batch leaves: its first part, then the next run's entries.
            journal.Append(new JournalEntry { Kind = JournalEntryKind.Part, PartGroup = 7, PartIndex = 0, PartCount = 3, Payload = [1, 2, 3] });
            journal.Append(new JournalEntry { Kind = JournalEntryKind.StalenessCheck, Now = 99 });
        }
        using var reopened = new EngineJournal(folder);

        Assert.Equal([JournalEntryKind.StalenessCheck], reopened.Read(0).Select(e => e.Entry.Kind));
    }

    [Fact]
    public void The_state_store_lists_newest_first_loads_what_it_saved_and_prunes_the_oldest()
    {
        using var store = new FasterStateStore<EngineImage>(folder);
        for (var s = 1; s <= 3; s++)
        {
            var chunk = new AccountChunk { First = 0, Count = 2, Quantity = [s, s * 2], Cash = [100 * s, 0] };
            // The policy chunk is written once and kept unchanged (null) by the later checkpoints.
            var policies = s == 1 ? MemoryPackSerializer.Serialize(new PolicyChunk { First = 0, Policies = [new PolicyImage { Id = "IPS-1", Version = 3 }] }) : null;
            store.Save(new EngineImage { Sequence = s * 10, ReplayFrom = s * 64, BookFingerprint = "book", TakenAt = DateTimeOffset.UnixEpoch.AddDays(s), ChunkCount = 1, PolicyChunkCount = 1 }, [MemoryPackSerializer.Serialize(chunk), policies]);
        }

        var list = store.List();
        Assert.Equal([30L, 20L, 10L], list.Select(c => c.Sequence));
        // The catalog file itself keeps the newest at its head, even before any prune rewrites it.
        var catalog = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "checkpoints.json"))).RootElement;
        Assert.Equal([30L, 20L, 10L], catalog.EnumerateArray().Select(c => c.GetProperty("Sequence").GetInt64()));
        var (image, chunks, policyChunks) = store.Load(list[1]);
        Assert.Equal((20, 128, "book"), (image.Sequence, image.ReplayFrom, image.BookFingerprint));
        Assert.Equal([2.0, 4.0], chunks.Single().Quantity);
        Assert.Equal(("IPS-1", 3), (policyChunks.Single().Policies.Single().Id, policyChunks.Single().Policies.Single().Version));

        store.Prune(2);
        Assert.Equal([30L, 20L], store.List().Select(c => c.Sequence));
    }

    [Fact]
    public void A_chunk_larger_than_a_FASTER_page_is_stored_in_parts_and_loads_whole()
    {
        using var store = new FasterStateStore<EngineImage>(folder);
        // About 24 MB of lots in one chunk (8,192 accounts of 80 lots each make that much): three pages' worth.
        var lots = 500_000;
        var chunk = new AccountChunk
        {
            First = 0,
            Count = 1,
            Quantity = [1],
            Cash = [5],
            Lots = new LotChunk
            {
                Tracked = [true], RealizedShortTerm = [0], RealizedLongTerm = [0], LotsPerSlot = [lots], OpenedDay = [0], OpenedCount = [0],
                Quantity = [.. Enumerable.Range(0, lots).Select(i => (decimal)i)],
                CostBasis = [.. Enumerable.Range(0, lots).Select(i => i * 1.25m)],
                Acquired = new int[lots],
                HoldingSince = new int[lots],
                WashSaleAdjustment = new decimal[lots],
                Number = [.. Enumerable.Range(0, lots)],
                Name = new string?[lots],
            },
        };
        var bytes = MemoryPackSerializer.Serialize(chunk);
        Assert.True(bytes.Length > 16 << 20, $"{bytes.Length} bytes");
        EngineImage Image(long sequence) => new() { Sequence = sequence, ReplayFrom = 64, BookFingerprint = "book", TakenAt = DateTimeOffset.UnixEpoch, ChunkCount = 1, PolicyChunkCount = 0 };

        store.Save(Image(1), [bytes]);
        // A later checkpoint that keeps the chunk unchanged keeps its parts.
        store.Save(Image(2), [null]);

        foreach (var checkpoint in store.List())
        {
            var loaded = store.Load(checkpoint).Chunks.Single();
            Assert.Equal(lots, loaded.Lots!.Quantity.Length);
            Assert.Equal((lots - 1) * 1.25m, loaded.Lots.CostBasis[^1]);
        }
    }

    [Fact]
    public void A_record_that_grows_a_little_is_overwritten_in_place_so_checkpoints_do_not_grow_the_snapshot()
    {
        using var store = new FasterStateStore<EngineImage>(folder);
        long Snapshot(CheckpointInfo info) => new FileInfo(Path.Combine(folder, "checkpoints", "cpr-checkpoints", info.Token.ToString(), "snapshot.dat.0")).Length;
        CheckpointInfo Save(int sequence, int slots)
        {
            // A chunk a few percent larger each time, as a busy day's records grow (more open trades, a pass under way).
            var chunk = new AccountChunk { First = 0, Count = 1, Quantity = [.. Enumerable.Range(0, slots).Select(i => (double)i)], Cash = [sequence] };
            return store.Save(new EngineImage { Sequence = sequence, ReplayFrom = 64, BookFingerprint = "book", TakenAt = DateTimeOffset.UnixEpoch, ChunkCount = 1, PolicyChunkCount = 0 }, [MemoryPackSerializer.Serialize(chunk)]);
        }

        var first = Snapshot(Save(1, 200_000));
        var sizes = Enumerable.Range(2, 4).Select(s => Snapshot(Save(s, 200_000 + (s * 2_000)))).ToList();

        Assert.All(sizes, size => Assert.Equal(first, size));
        var (_, chunks, _) = store.Load(store.List()[0]);
        Assert.Equal(210_000, chunks.Single().Quantity.Length);
        Assert.Equal(5.0, chunks.Single().Cash.Single());
    }

    [Fact]
    public void The_blotter_never_writes_an_order_twice_and_cuts_a_line_a_crash_tore()
    {
        var path = Path.Combine(folder, "blotter.csv");
        var order = new ChildOrder("B00000001-SPY-B-C0001", "B00000001-SPY-B", "SPY", Orders.TradeSide.Buy, 10, 500, DateTimeOffset.UnixEpoch, 1);
        using (var sink = new BlotterFileSink(path))
        {
            sink.Send(order);
        }
        File.AppendAllText(path, "new,B00000002-SPY-B-C0001,B0000");

        using (var sink = new BlotterFileSink(path))
        {
            sink.Send(order);
            sink.Send(order with { Id = "B00000002-SPY-B-C0001", BlockId = "B00000002-SPY-B" });
            Assert.Equal(1, sink.DuplicatesSuppressed);
        }

        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("new,B00000001-SPY-B-C0001,", lines[1]);
        Assert.StartsWith("new,B00000002-SPY-B-C0001,B00000002-SPY-B,1,", lines[2]);
    }
}
