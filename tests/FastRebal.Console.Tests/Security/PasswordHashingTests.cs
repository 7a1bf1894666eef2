using FastRebal.Console.Security;

namespace FastRebal.Console.Tests.Security;

public class PasswordHashingTests
{
    [Fact]
    public void A_hash_verifies_its_password_only_and_two_hashes_of_one_password_differ()
    {
        var first = PasswordHashing.Hash("correct horse battery staple");
        var second = PasswordHashing.Hash("correct horse battery staple");

        Assert.NotEqual(first, second);
        Assert.True(PasswordHashing.Verify("correct horse battery staple", first));
        Assert.True(PasswordHashing.Verify("correct horse battery staple", second));
        Assert.False(PasswordHashing.Verify("correct horse battery stapl", first));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain text")]
    [InlineData("pbkdf2-sha256$x$AAAA$AAAA")]
    [InlineData("pbkdf2-sha256$1000$not base64!$AAAA")]
    [InlineData("md5$1000$AAAA$AAAA")]
    public void A_malformed_hash_never_verifies(string stored) => Assert.False(PasswordHashing.Verify("anything", stored));

    [Fact]
    public void Generated_passwords_are_long_and_different() =>
        Assert.Equal(50, Enumerable.Range(0, 50).Select(_ => PasswordHashing.Generate()).Where(p => p.Length == 20).Distinct().Count());
}
