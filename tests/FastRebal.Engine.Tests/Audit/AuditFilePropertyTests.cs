using CsCheck;
using FastRebal.Engine.Audit;
using static FastRebal.Engine.Tests.Audit.AuditTestData;

namespace FastRebal.Engine.Tests.Audit;

public sealed class AuditFilePropertyTests
{
    [Fact]
    public void Any_single_byte_change_to_the_file_is_detected()
    {
        var clock = new ManualClock(Start);
        var store = new MemoryAuditStore();
        var chain = new AuditChain(store, clock);
        foreach (var entry in new[] { Decision(), Trade(), Operator(), Decision("ACC-2"), Trade("ACC-2") })
        {
            chain.Append(entry);
            clock.Advance(TimeSpan.FromSeconds(7));
        }
        var bytes = FileBytes(store.Records);
        var seal = SealOf(store.Records);
        Assert.True(VerifyBytes(bytes, seal).Intact);

        Gen.Select(Gen.Int[0, bytes.Length - 1], Gen.Byte).Sample((position, value) =>
        {
            if (bytes[position] == value)
            {
                return true;
            }
            var changed = (byte[])bytes.Clone();
            changed[position] = value;
            return !VerifyBytes(changed, seal).Intact;
        }, iter: 5_000);
    }
}
