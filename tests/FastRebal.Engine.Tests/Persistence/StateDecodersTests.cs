using FastRebal.Engine.Persistence;
using FastRebal.Engine.Pipeline;

namespace FastRebal.Engine.Tests.Persistence;

public sealed class StateDecodersTests
{
    [Fact]
    public void The_warm_up_knows_the_records_a_recovery_decodes()
    {
        // A checkpoint's cookie, engine record and chunks, and the journal's entries: the decoders a recovery runs first.
        Assert.Subset(StateDecoders.RecordTypes.ToHashSet(),
            new HashSet<Type> { typeof(CheckpointCookie), typeof(EngineImage), typeof(AccountChunk), typeof(PolicyChunk), typeof(JournalEntry) });
    }

    [Fact]
    public async Task Warming_up_decodes_an_empty_record_of_every_type_without_failing()
    {
        // A record type whose empty value cannot be decoded in a way the warm-up does not expect would fault the task
        // (and a restart would log nothing of it): every type must pass.
        await StateDecoders.WarmUpAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Only_a_folder_holding_state_is_warmed_up_for()
    {
        var folder = Path.Combine(Path.GetTempPath(), "fastrebal-decoders-" + Guid.NewGuid().ToString("N"));
        // No folder, or an empty one: a first start, with nothing to recover and nothing to compile ahead of it.
        Assert.Null(StateDecoders.WarmUpIfRecovering(null));
        Assert.Null(StateDecoders.WarmUpIfRecovering(folder));
        Directory.CreateDirectory(folder);
        try
        {
            Assert.Null(StateDecoders.WarmUpIfRecovering(folder));
            File.WriteAllText(Path.Combine(folder, "checkpoints.json"), "[]");
            var warming = StateDecoders.WarmUpIfRecovering(folder);
            Assert.NotNull(warming);
            await warming.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
