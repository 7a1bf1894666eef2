using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using FastRebal.Engine.Audit;

namespace FastRebal.Bench.Audit;

/// <summary>
/// One SHA-256 of an audit record's size (the link: the previous hash and a trade record's canonical form, about 530
/// bytes) and of a decision's inputs (about 1,700 bytes with its policy). The baseline is .NET's
/// <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/>, which the chain called before; the other row is
/// <see cref="Sha256Digest"/>, the same OpenSSL digest with one context kept per thread.
/// </summary>
[Config(typeof(BenchConfig))]
[BenchmarkCategory("audit")]
public class Sha256DigestBenchmarks
{
    private readonly byte[] hash = new byte[SHA256.HashSizeInBytes];
    private byte[] data = null!;

    [Params(530, 1700)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        data = new byte[Bytes];
        new Random(17).NextBytes(data);
    }

    [Benchmark(Baseline = true, Description = "SHA256.HashData (a new context each call)")]
    public byte DotNetOneShot()
    {
        SHA256.HashData(data, hash);
        return hash[0];
    }

    [Benchmark(Description = "Sha256Digest (a context kept per thread)")]
    public byte KeptContext()
    {
        Sha256Digest.Hash(data, hash);
        return hash[0];
    }
}
