using System.Security.Cryptography;

namespace FastRebal.Engine.Audit;

/// <summary>
/// The Merkle tree hash of RFC 6962 (Certificate Transparency) over a list of leaves: a leaf is SHA-256(0x00 ‖ leaf),
/// a node SHA-256(0x01 ‖ left ‖ right), and a list of n leaves splits at the largest power of two below n.
/// </summary>
/// <remarks>
/// The 0x00/0x01 prefixes keep a leaf from passing for a node, and splitting (rather than duplicating the last leaf
/// of an odd level, as Bitcoin does) means two different lists never share a root.
/// </remarks>
public static class MerkleTree
{
    public static byte[] Root(IReadOnlyList<byte[]> leaves)
    {
        if (leaves.Count == 0)
        {
            return SHA256.HashData([]);
        }
        return Root(leaves, 0, leaves.Count);
    }

    private static byte[] Root(IReadOnlyList<byte[]> leaves, int start, int count)
    {
        if (count == 1)
        {
            return SHA256.HashData([0x00, .. leaves[start]]);
        }
        var split = 1;
        while (split * 2 < count)
        {
            split *= 2;
        }
        return SHA256.HashData([0x01, .. Root(leaves, start, split), .. Root(leaves, start + split, count - split)]);
    }
}

/// <summary>The Merkle root over one UTC day's record hashes, in sequence order.</summary>
public sealed record DailyRoot(DateOnly Day, int Records, long FirstSequence, long LastSequence, string Root);
