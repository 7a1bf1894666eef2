using System.Security.Cryptography;
using System.Text;
using FastRebal.Engine.Audit;

namespace FastRebal.Engine.Tests.Audit;

public sealed class MerkleTreeTests
{
    private static byte[] Leaf(string text) => SHA256.HashData(Encoding.ASCII.GetBytes(text));

    // Expected roots computed by hand with Python's hashlib (RFC 6962: leaf = H(0x00 ‖ x), node = H(0x01 ‖ l ‖ r)):
    //   L(x) = sha256(b"\x00" + x); N(l, r) = sha256(b"\x01" + l + r)
    //   3 leaves: N(N(L(a), L(b)), L(c)); 5 leaves: N(N(N(L(a), L(b)), N(L(c), L(d))), L(e))
    [Theory]
    [InlineData("a", "a23bd5b06da9048238a65b3f1d9d0b9e15fae3dde262688e6489aa4c763d1820")]
    [InlineData("a,b", "ad5ca6cddc0b27c6a83e332bf28011769236e6c6a1f786ebf7b5267b37a5bd22")]
    [InlineData("a,b,c", "cac3d448d4e20a2ad5eae1f500e63c2a7f9217cd14572ba7fd22e26dc1ec2648")]
    [InlineData("a,b,c,d,e", "4dc1abc938a0141a3c7cd1fed88948c35c4452e7e8aff9b1503eb5100a2c77b3")]
    public void Root_matches_the_hand_computed_root(string leaves, string expected)
    {
        var root = MerkleTree.Root([.. leaves.Split(',').Select(Leaf)]);

        Assert.Equal(expected, Convert.ToHexStringLower(root));
    }

    [Fact]
    public void Three_leaves_spelled_out()
    {
        byte[] L(string x) => SHA256.HashData([0x00, .. Leaf(x)]);
        byte[] N(byte[] l, byte[] r) => SHA256.HashData([0x01, .. l, .. r]);

        Assert.Equal(N(N(L("a"), L("b")), L("c")), MerkleTree.Root([Leaf("a"), Leaf("b"), Leaf("c")]));
    }

    [Fact]
    public void Order_of_leaves_changes_the_root()
    {
        Assert.NotEqual(MerkleTree.Root([Leaf("a"), Leaf("b"), Leaf("c")]), MerkleTree.Root([Leaf("b"), Leaf("a"), Leaf("c")]));
    }
}
