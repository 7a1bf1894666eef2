using System.Text.Json;
using System.Text.RegularExpressions;
using FastRebal.Console.Engine;
using Microsoft.Extensions.Options;

namespace FastRebal.Console.Security;

/// <summary>A user as stored: the hash only, never the password. The stamp changes whenever the role or password does.</summary>
public sealed record ConsoleUser(string Name, string Role, string PasswordHash, string Stamp, bool FromConfiguration = false);

/// <summary>A user given in configuration (Console:Users:NAME:Role and Console:Users:NAME:PasswordHash).</summary>
public sealed class ConfiguredUser
{
    public string Role { get; set; } = Roles.Viewer;

    public string PasswordHash { get; set; } = "";
}

/// <summary>
/// The console's users: those in configuration (managed there, read-only here) and those in the users file under
/// the data directory (managed by admins on the Users page). There is no default password: on the first run, when
/// nobody can administer the console, an admin is created with a generated password that is logged once.
/// </summary>
public sealed partial class UserStore
{
    private readonly string path;
    private readonly Lock gate = new();
    private readonly Dictionary<string, ConsoleUser> configured;
    private readonly Dictionary<string, ConsoleUser> stored;

    public UserStore(IOptions<ConsoleSettings> settings, IConfiguration configuration)
    {
        path = settings.Value.UsersPath;
        configured = new Dictionary<string, ConsoleUser>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in configuration.GetSection("Console:Users").GetChildren())
        {
            var user = section.Get<ConfiguredUser>() ?? new ConfiguredUser();
            if (NameProblem(section.Key) is { } bad)
            {
                throw new InvalidOperationException($"Console:Users:{section.Key}: {bad}");
            }
            if (!Roles.IsKnown(user.Role))
            {
                throw new InvalidOperationException($"Console:Users:{section.Key}:Role must be one of {string.Join(", ", Roles.All)} (got '{user.Role}')");
            }
            if (!user.PasswordHash.StartsWith("pbkdf2-sha256$", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Console:Users:{section.Key}:PasswordHash must be a hash made by the console (pbkdf2-sha256$...), never a password");
            }
            configured[section.Key] = new ConsoleUser(section.Key, user.Role, user.PasswordHash, "config", FromConfiguration: true);
        }
        stored = Load(path);
    }

    public IReadOnlyList<ConsoleUser> All()
    {
        lock (gate)
        {
            return [.. configured.Values.Concat(stored.Values).OrderBy(u => u.Name, StringComparer.OrdinalIgnoreCase)];
        }
    }

    public ConsoleUser? Find(string name)
    {
        lock (gate)
        {
            return configured.GetValueOrDefault(name) ?? stored.GetValueOrDefault(name);
        }
    }

    /// <summary>The user when the name and password match; null otherwise (which of the two was wrong is not said).</summary>
    public ConsoleUser? Check(string name, string password)
    {
        var user = Find(name);
        // A missing user still costs a hash, so timing does not tell which names exist.
        var hash = user?.PasswordHash ?? DummyHash.Value;
        return PasswordHashing.Verify(password, hash) && user is not null ? user : null;
    }

    private static readonly Lazy<string> DummyHash = new(() => PasswordHashing.Hash(PasswordHashing.Generate()));

    /// <summary>
    /// On the first run (no admin in configuration or in the users file), creates "admin" with a generated password
    /// and returns it, once; otherwise null.
    /// </summary>
    public string? EnsureAdmin()
    {
        lock (gate)
        {
            if (configured.Values.Concat(stored.Values).Any(u => u.Role == Roles.Admin))
            {
                return null;
            }
            var name = configured.ContainsKey("admin") || stored.ContainsKey("admin") ? "console-admin" : "admin";
            var password = PasswordHashing.Generate();
            stored[name] = new ConsoleUser(name, Roles.Admin, PasswordHashing.Hash(password), NewStamp());
            Save();
            return $"{name}:{password}";
        }
    }

    /// <summary>Adds a user; null when done, else what was wrong.</summary>
    public string? Add(string name, string role, string password)
    {
        if (NameProblem(name) is { } bad)
        {
            return bad;
        }
        if (!Roles.IsKnown(role))
        {
            return $"role must be one of {string.Join(", ", Roles.All)}";
        }
        if (PasswordHashing.Weakness(password) is { } weak)
        {
            return weak;
        }
        var hash = PasswordHashing.Hash(password);
        lock (gate)
        {
            if (configured.ContainsKey(name) || stored.ContainsKey(name))
            {
                return $"a user named '{name}' already exists";
            }
            stored[name] = new ConsoleUser(name, role, hash, NewStamp());
            Save();
            return null;
        }
    }

    public string? SetRole(string name, string role, string actingUser)
    {
        if (!Roles.IsKnown(role))
        {
            return $"role must be one of {string.Join(", ", Roles.All)}";
        }
        lock (gate)
        {
            if (Editable(name) is { } problem)
            {
                return problem;
            }
            if (string.Equals(name, actingUser, StringComparison.OrdinalIgnoreCase) && role != Roles.Admin)
            {
                return "you cannot take the admin role from yourself (another admin can)";
            }
            stored[name] = stored[name] with { Role = role, Stamp = NewStamp() };
            Save();
            return null;
        }
    }

    public string? SetPassword(string name, string password)
    {
        if (PasswordHashing.Weakness(password) is { } weak)
        {
            return weak;
        }
        var hash = PasswordHashing.Hash(password);
        lock (gate)
        {
            if (Editable(name) is { } problem)
            {
                return problem;
            }
            stored[name] = stored[name] with { PasswordHash = hash, Stamp = NewStamp() };
            Save();
            return null;
        }
    }

    public string? Remove(string name, string actingUser)
    {
        lock (gate)
        {
            if (Editable(name) is { } problem)
            {
                return problem;
            }
            if (string.Equals(name, actingUser, StringComparison.OrdinalIgnoreCase))
            {
                return "you cannot remove yourself";
            }
            stored.Remove(name);
            Save();
            return null;
        }
    }

    private string? Editable(string name) =>
        configured.ContainsKey(name) ? $"'{name}' is defined in configuration; change it there"
        : stored.ContainsKey(name) ? null
        : $"no user named '{name}'";

    public static string? NameProblem(string name) =>
        string.IsNullOrWhiteSpace(name) ? "a user name is required"
        : !UserName().IsMatch(name) ? "a user name is 1 to 64 letters, digits, '.', '-' or '_'"
        : null;

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex UserName();

    private static string NewStamp() => Guid.NewGuid().ToString("N");

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static Dictionary<string, ConsoleUser> Load(string path)
    {
        var users = new Dictionary<string, ConsoleUser>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(path))
        {
            return users;
        }
        List<ConsoleUser>? list;
        try
        {
            list = JsonSerializer.Deserialize<List<ConsoleUser>>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{path}: the users file is not valid ({e.Message}); fix or remove it", e);
        }
        foreach (var user in list ?? [])
        {
            users[user.Name] = user with { FromConfiguration = false };
        }
        return users;
    }

    /// <summary>Writes the file atomically (temporary file, then rename), so a crash never leaves half a users file.</summary>
    private void Save()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(stored.Values.OrderBy(u => u.Name).ToList(), Json));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
