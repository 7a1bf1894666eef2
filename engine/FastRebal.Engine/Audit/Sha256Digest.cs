using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FastRebal.Engine.Audit;

/// <summary>
/// SHA-256 for the audit chain's many small hashes (a record's link, a decision's input hash), through OpenSSL's
/// digest with one context kept per thread. On Linux, .NET's <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/>
/// is that same OpenSSL code, but each call makes a new digest context, looks the algorithm up again and clears the
/// error queue: for records of a few hundred bytes that costs about as much as the hashing (BENCHMARKS.md, "The audit
/// trail's cost"). Where OpenSSL 3 cannot be loaded (Windows, macOS, an older OpenSSL) it is
/// <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/> itself. Either way the bytes are the same SHA-256.
/// </summary>
internal static class Sha256Digest
{
    private const string Library = "libcrypto.so.3";

    // The algorithm, fetched once for the process (0 when OpenSSL 3 is not there).
    private static readonly nint Algorithm = FetchAlgorithm();

    [ThreadStatic]
    private static Context? context;

    /// <summary>Whether hashes go through the kept OpenSSL context (false: <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/>).</summary>
    public static bool UsesOpenSsl => Algorithm != 0;

    /// <summary>Writes SHA-256 of <paramref name="data"/> to the first 32 bytes of <paramref name="hash"/>.</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> hash)
    {
        if (Algorithm == 0)
        {
            SHA256.HashData(data, hash);
            return;
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(hash.Length, SHA256.HashSizeInBytes, nameof(hash));
        var digest = (context ??= new Context()).Handle;
        uint written = 0;
        // An empty span's reference may be null; OpenSSL reads nothing for a count of 0 either way.
        if (EVP_DigestInit_ex2(digest, Algorithm, 0) != 1
            || EVP_DigestUpdate(digest, ref MemoryMarshal.GetReference(data), (nuint)data.Length) != 1
            || EVP_DigestFinal_ex(digest, ref MemoryMarshal.GetReference(hash), ref written) != 1
            || written != SHA256.HashSizeInBytes)
        {
            throw new CryptographicException("OpenSSL's SHA-256 digest failed");
        }
    }

    private static nint FetchAlgorithm()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("FASTREBAL_SHA256") == "dotnet")
        {
            return 0;
        }
        try
        {
            var algorithm = EVP_MD_fetch(0, "SHA256", 0);
            if (algorithm == 0)
            {
                return 0;
            }
            // One hash checked against .NET's before any is trusted.
            using var probe = new Context();
            Span<byte> ours = stackalloc byte[SHA256.HashSizeInBytes];
            uint written = 0;
            var input = "fastrebal"u8;
            var ok = EVP_DigestInit_ex2(probe.Handle, algorithm, 0) == 1
                && EVP_DigestUpdate(probe.Handle, ref MemoryMarshal.GetReference(input), (nuint)input.Length) == 1
                && EVP_DigestFinal_ex(probe.Handle, ref MemoryMarshal.GetReference(ours), ref written) == 1;
            return ok && ours.SequenceEqual(SHA256.HashData(input)) ? algorithm : 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return 0;
        }
    }

    /// <summary>A digest context, freed when its thread is gone (or when disposed).</summary>
    private sealed class Context : IDisposable
    {
        public Context()
        {
            Handle = EVP_MD_CTX_new();
            if (Handle == 0)
            {
                throw new CryptographicException("OpenSSL could not make a digest context");
            }
        }

        ~Context() => Free();

        public nint Handle { get; private set; }

        public void Dispose()
        {
            Free();
            GC.SuppressFinalize(this);
        }

        private void Free()
        {
            if (Handle != 0)
            {
                EVP_MD_CTX_free(Handle);
                Handle = 0;
            }
        }
    }

    [DllImport(Library)]
    private static extern nint EVP_MD_fetch(nint libraryContext, [MarshalAs(UnmanagedType.LPUTF8Str)] string algorithm, nint properties);

    [DllImport(Library)]
    private static extern nint EVP_MD_CTX_new();

    [DllImport(Library)]
    private static extern void EVP_MD_CTX_free(nint context);

    // The three calls per hash are short and never call back into .NET, so they skip the GC transition.
    [DllImport(Library), SuppressGCTransition]
    private static extern int EVP_DigestInit_ex2(nint context, nint algorithm, nint parameters);

    [DllImport(Library), SuppressGCTransition]
    private static extern int EVP_DigestUpdate(nint context, ref byte data, nuint count);

    [DllImport(Library), SuppressGCTransition]
    private static extern int EVP_DigestFinal_ex(nint context, ref byte hash, ref uint written);
}
