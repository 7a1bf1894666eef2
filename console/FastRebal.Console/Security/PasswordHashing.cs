using System.Globalization;
using System.Security.Cryptography;

namespace FastRebal.Console.Security;

/// <summary>
/// Password hashes as PBKDF2-HMAC-SHA256 with a random 16-byte salt, written "pbkdf2-sha256$ITERATIONS$SALT$HASH"
/// (base64), so the iteration count can rise later without invalidating stored hashes. The base library has all of
/// it; comparison is constant-time.
/// </summary>
public static class PasswordHashing
{
    public const int Iterations = 210_000;
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static string Hash(string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>Whether the password matches; false (never an exception) for a malformed hash.</summary>
    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1)
        {
            return false;
        }
        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var expected = Convert.FromBase64String(parts[3]);
            var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
            return CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>A password for a new user: 20 characters from 62, about 119 bits.</summary>
    public static string Generate() =>
        RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 20);

    /// <summary>Why a password chosen by a person is too weak, or null.</summary>
    public static string? Weakness(string password) =>
        password.Length < 12 ? "a password needs at least 12 characters" : null;
}
