using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FastRebal.Console.Security;
using Microsoft.Playwright;

namespace FastRebal.Console.Tests.Browser;

/// <summary>
/// The real console, started once for the browser tests: the built FastRebal.Console.dll in its own process on a free
/// localhost port, with a 2,000-account firm on a seeded random walk (fast to start, orders flowing at once), a fresh
/// data directory (so the first-run admin password is generated and read from the log, as a person would), a viewer
/// and an operator given in configuration, and Debian's Chromium driven by Playwright.
/// </summary>
public sealed partial class ConsoleFixture : IAsyncLifetime
{
    public const string ViewerName = "vera";
    public const string ViewerPassword = "viewer-password-1";
    public const string OperatorName = "olga";
    public const string OperatorPassword = "operator-password-1";

    /// <summary>
    /// FASTREBAL_E2E_DEFAULT_FIRM=1 runs the console as a newcomer would (100k accounts, the replay of data/), for the
    /// README's screenshots; by default the tests use a small firm that starts in seconds.
    /// </summary>
    public static readonly bool DefaultFirm = Environment.GetEnvironmentVariable("FASTREBAL_E2E_DEFAULT_FIRM") == "1";

    public static int Accounts => DefaultFirm ? 100_000 : 2000;

    /// <summary>Debian's Chromium flags for running as root in a container without a GPU, and without phoning home.</summary>
    private static readonly string[] ChromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private readonly StringBuilder output = new();
    private readonly Lock outputGate = new();
    private Process? process;
    private IPlaywright? playwright;
    private string dataDirectory = "";
    private readonly Action<string>? prepareDataDirectory;
    private readonly string[] settings = [];

    public ConsoleFixture()
    {
    }

    private ConsoleFixture(Action<string> prepare, string[] settings) => (prepareDataDirectory, this.settings) = (prepare, settings);

    /// <summary>A console whose data directory <paramref name="prepare"/> fills before its first start, run with more <paramref name="settings"/> (e.g. "--Console:X", "1").</summary>
    public static ConsoleFixture Prepared(Action<string> prepare, params string[] settings) => new(prepare, settings);

    public string BaseUrl { get; private set; } = "";

    /// <summary>The console's data directory (users, state, audit trail), the same across a restart.</summary>
    public string DataDirectory => dataDirectory;

    public string AdminPassword { get; private set; } = "";

    public IBrowser Browser { get; private set; } = default!;

    public string Output
    {
        get
        {
            lock (outputGate)
            {
                return output.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        // Fail, never skip: CI installs Chromium (.ci/run), and a machine without it must say so.
        var chromium = FindOnPath("chromium")
            ?? throw new InvalidOperationException("Chromium is not installed: the browser tests drive Debian's Chromium. Install it with 'apt-get install -y chromium' (.ci/run does this).");
        dataDirectory = TestServices.TempDirectory();
        prepareDataDirectory?.Invoke(dataDirectory);
        await StartConsole(firstRun: true);

        // Two cores shared by the console, Chromium and the other test projects: the 5 s default is too tight in CI.
        Assertions.SetDefaultExpectTimeout(30_000);
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Args = ChromiumArgs, Headless = true });
    }

    /// <summary>
    /// Kills the console as a power cut would (SIGKILL: no drain, no checkpoint, no seal) and starts it again on the
    /// same data directory; returns once it listens again (its address changes: sign in afresh).
    /// </summary>
    public async Task KillAndRestart()
    {
        process!.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        lock (outputGate)
        {
            output.Clear();
        }
        await StartConsole(firstRun: false);
    }

    private async Task StartConsole(bool firstRun)
    {
        var console = ConsoleDll();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(console)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] smallFirm =
        [
            "--Engine:Accounts", Accounts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Engine:SliceInterval", "00:00:02",
            "--Engine:MaxChildNotional", "20000",
            "--Feed:Kind", "random",
            "--Feed:TicksPerSecond", "3000",
            "--Feed:Volatility", "0.002",
            "--Feed:MeanReversion", "0.005",
        ];
        foreach (var argument in new[]
        {
            console,
            "--urls", "http://127.0.0.1:0",
            "--Console:DataDirectory", dataDirectory,
            $"--Console:Users:{ViewerName}:Role", Roles.Viewer,
            $"--Console:Users:{ViewerName}:PasswordHash", PasswordHashing.Hash(ViewerPassword),
            $"--Console:Users:{OperatorName}:Role", Roles.Operator,
            $"--Console:Users:{OperatorName}:PasswordHash", PasswordHashing.Hash(OperatorPassword),
        }.Concat(DefaultFirm ? [] : smallFirm).Concat(settings))
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        process = Process.Start(start) ?? throw new InvalidOperationException("could not start the console");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        Match listening, password = Match.Empty;
        // Only the first start creates the admin and prints its password; a restart keeps both.
        while (!(listening = ListeningOn().Match(Output)).Success || (firstRun && !(password = AdminPasswordLine().Match(Output)).Success))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"the console did not start (exit {(process.HasExited ? process.ExitCode : "none")}):\n{Output}");
            }
            await Task.Delay(100);
        }
        BaseUrl = listening.Groups[1].Value;
        if (firstRun)
        {
            AdminPassword = password.Groups[1].Value;
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (outputGate)
            {
                output.AppendLine(line);
            }
        }
    }

    /// <summary>A fresh browser context signed in as the user, on the dashboard.</summary>
    public async Task<IPage> SignIn(string user, string password)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl, ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        // Not signed in: the console sends the browser to its sign-in page.
        await page.WaitForURLAsync(new Regex("/login"));
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        // The dashboard's first load waits for a busy engine on a loaded machine (the other tests run alongside):
        // given as long as the fixture's other first loads, not the context's 30 s.
        await page.WaitForURLAsync(new Regex($"^{Regex.Escape(BaseUrl)}/?$"), new() { Timeout = 120_000 });
        await Assertions.Expect(page.Locator("#signed-in-user")).ToContainTextAsync(user);
        await WaitUntilLive(page);
        return page;
    }

    /// <summary>Goes to a page and waits until it is live: a click on a page that is only prerendered does nothing.</summary>
    public static async Task Goto(IPage page, string path)
    {
        await page.GotoAsync(path);
        await WaitUntilLive(page);
    }

    /// <summary>
    /// Opens the Audit page and shows the records of one kind ("Operator actions", "Decisions"), waiting until the table
    /// holds only that kind: the page first shows the newest records of every kind, and a look at the table before
    /// the filter's answer arrives would find those.
    /// </summary>
    public static async Task ShowAuditRecords(IPage page, string kindLabel, string kind)
    {
        await Goto(page, "/audit");
        await page.Locator("#audit-kind").GetByText(kindLabel).ClickAsync();
        await page.ClickAsync("#audit-browse");
        await page.WaitForFunctionAsync(
            "kind => { const cells = [...document.querySelectorAll('#audit-records tbody td.record-kind')]; return cells.length > 0 && cells.every(c => c.textContent.trim() === kind); }",
            kind);
    }

    public static Task WaitUntilLive(IPage page) => page.Locator("#live").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        playwright?.Dispose();
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process?.Dispose();
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind is harmless.
        }
    }

    /// <summary>The console as built next to the tests' configuration (bin/Release/net10.0 or bin/Debug/net10.0).</summary>
    private static string ConsoleDll()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        for (var directory = here; directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "console", "FastRebal.Console", "bin", configuration, framework, "FastRebal.Console.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"FastRebal.Console.dll ({configuration}, {framework}) was not found above {here.FullName}; build the console first");
    }

    /// <summary>What `which NAME` prints: the first executable of that name on the PATH.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();

    [GeneratedRegex(@"created the admin user 'admin' with password (\S+)")]
    private static partial Regex AdminPasswordLine();
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "the running console";
}
