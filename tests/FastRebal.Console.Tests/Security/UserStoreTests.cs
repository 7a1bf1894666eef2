using FastRebal.Console.Security;

namespace FastRebal.Console.Tests.Security;

public class UserStoreTests
{
    [Fact]
    public void The_first_run_creates_one_admin_with_a_generated_password_and_stores_only_its_hash()
    {
        var directory = TestServices.TempDirectory();
        var users = TestServices.Users(directory);

        var created = users.EnsureAdmin();

        Assert.NotNull(created);
        var (name, password) = (created[..created.IndexOf(':', StringComparison.Ordinal)], created[(created.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        Assert.Equal("admin", name);
        Assert.True(password.Length >= 20);
        var file = File.ReadAllText(Path.Combine(directory, "users.json"));
        Assert.DoesNotContain(password, file, StringComparison.Ordinal);
        Assert.Contains("pbkdf2-sha256$", file, StringComparison.Ordinal);
        Assert.Equal(Roles.Admin, users.Check("admin", password)?.Role);
        // A second run (a new store on the same file) finds the admin and generates nothing.
        Assert.Null(TestServices.Users(directory).EnsureAdmin());
        Assert.NotNull(TestServices.Users(directory).Check("admin", password));
    }

    [Fact]
    public void A_wrong_password_or_an_unknown_user_is_refused()
    {
        var users = TestServices.Users(TestServices.TempDirectory());
        Assert.Null(users.Add("olga", Roles.Operator, "correct horse battery"));

        Assert.Null(users.Check("olga", "correct horse batterY"));
        Assert.Null(users.Check("nobody", "correct horse battery"));
        Assert.Equal(Roles.Operator, users.Check("olga", "correct horse battery")?.Role);
    }

    [Fact]
    public void Users_from_configuration_need_a_hash_and_are_not_editable_here()
    {
        var hash = PasswordHashing.Hash("viewer password 1");
        var users = TestServices.Users(TestServices.TempDirectory(), new Dictionary<string, string?>
        {
            ["Console:Users:vera:Role"] = Roles.Viewer,
            ["Console:Users:vera:PasswordHash"] = hash,
        });

        Assert.Equal(Roles.Viewer, users.Check("vera", "viewer password 1")?.Role);
        Assert.Contains("configuration", users.SetRole("vera", Roles.Admin, "admin"), StringComparison.Ordinal);
        // Nobody in configuration can administer, so the first run still creates an admin.
        Assert.NotNull(users.EnsureAdmin());

        var plain = Assert.Throws<InvalidOperationException>(() => TestServices.Users(TestServices.TempDirectory(), new Dictionary<string, string?>
        {
            ["Console:Users:vera:Role"] = Roles.Viewer,
            ["Console:Users:vera:PasswordHash"] = "hunter2",
        }));
        Assert.Contains("Console:Users:vera:PasswordHash", plain.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "viewer", "long enough password", "a user name is required")]
    [InlineData("bad name", "viewer", "long enough password", "letters, digits")]
    [InlineData("ann", "superuser", "long enough password", "role must be one of viewer, operator, admin")]
    [InlineData("ann", "viewer", "short", "at least 12 characters")]
    public void Bad_new_users_are_refused_with_what_was_wrong(string name, string role, string password, string expected)
    {
        var users = TestServices.Users(TestServices.TempDirectory());

        Assert.Contains(expected, users.Add(name, role, password), StringComparison.Ordinal);
        Assert.Empty(users.All());
    }

    [Fact]
    public void An_admin_cannot_demote_or_remove_themselves()
    {
        var users = TestServices.Users(TestServices.TempDirectory());
        Assert.Null(users.Add("ada", Roles.Admin, "administrator pass"));

        Assert.NotNull(users.SetRole("ada", Roles.Viewer, "ada"));
        Assert.NotNull(users.Remove("ada", "ada"));
        Assert.Equal(Roles.Admin, users.Find("ada")?.Role);
    }

    [Fact]
    public void A_changed_role_or_password_changes_the_stamp_so_old_cookies_stop_working()
    {
        var users = TestServices.Users(TestServices.TempDirectory());
        Assert.Null(users.Add("olga", Roles.Operator, "operator password"));
        var principal = AccountEndpoints.Principal(users.Find("olga")!);
        Assert.True(AccountEndpoints.IsCurrent(principal, users));

        Assert.Null(users.SetPassword("olga", "a new operator password"));

        Assert.False(AccountEndpoints.IsCurrent(principal, users));
    }
}
