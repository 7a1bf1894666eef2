using System.Security.Cryptography;
using CsCheck;
using FastRebal.Engine.Audit;

namespace FastRebal.Engine.Tests.Audit;

public sealed class Sha256DigestTests
{
    // Lengths around SHA-256's 64-byte blocks and its padding boundary, up to records and inputs of several kilobytes.
    private static readonly Gen<byte[]> Data = Gen.OneOf(Gen.Byte.Array[0, 130], Gen.Byte.Array[0, 6000]);

    [Fact]
    public void A_hash_is_the_same_sha_256_as_dotnets() => Data.Sample(SameAsDotNets, iter: 2000);

    [Fact]
    public void Threads_hashing_at_once_each_get_their_own_right_hashes()
    {
        // Each thread keeps its own digest context: several hashing together must not mix their states.
        Data.Sample(SameAsDotNets, iter: 4000, threads: 4);
    }

    private static void SameAsDotNets(byte[] data)
    {
        Span<byte> ours = stackalloc byte[SHA256.HashSizeInBytes];
        Sha256Digest.Hash(data, ours);
        Assert.Equal(SHA256.HashData(data), ours.ToArray());
    }

    [Fact]
    public void On_linux_the_kept_openssl_context_is_what_hashes()
    {
        // The reason the class exists; a machine without OpenSSL 3 falls back, and says so here.
        Assert.Equal(OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("FASTREBAL_SHA256") != "dotnet", Sha256Digest.UsesOpenSsl);
    }
}
