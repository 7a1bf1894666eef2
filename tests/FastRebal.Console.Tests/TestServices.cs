using Bunit;
using FastRebal.Console.Engine;
using FastRebal.Console.Live;
using FastRebal.Console.Operations;
using FastRebal.Console.Security;
using FastRebal.Engine.Pipeline;
using FastRebal.Engine.Risk;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace FastRebal.Console.Tests;

/// <summary>The console's services for component tests: a session whose engine is not started, a notifier the test publishes to.</summary>
public static class TestServices
{
    /// <summary>This run's temporary files, removed when the test process exits.</summary>
    private static readonly string RunDirectory = CreateRunDirectory();

    private static string CreateRunDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "fastrebal-console-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
                // Something still holds a file: the operating system's temporary-file cleanup will get it.
            }
        };
        return path;
    }

    /// <summary>The example firm folder the CLI ships (engine/FastRebal.Cli/Examples/firm), found from the test's directory up to the repository.</summary>
    public static string ExampleFirm()
    {
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repository.FullName, "FastRebal.sln")))
        {
            repository = repository.Parent!;
        }
        return Path.Combine(repository.FullName, "engine", "FastRebal.Cli", "Examples", "firm");
    }

    public static string TempDirectory()
    {
        var path = Path.Combine(RunDirectory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    public static IOptions<ConsoleSettings> Settings(string directory) => Options.Create(new ConsoleSettings { DataDirectory = directory });

    /// <summary>A session running a firm's own book (a copy's folder, or the example firm) on a quiet random feed, its data in <paramref name="directory"/>; started and ready.</summary>
    public static async Task<EngineSession> StartedFirmSession(string directory, string? firm = null, int ticksPerSecond = 50)
    {
        var session = new EngineSession(
            Options.Create(new EngineSettings()),
            Options.Create(new FeedSettings { Kind = "random", TicksPerSecond = ticksPerSecond }),
            Options.Create(new ConsoleSettings { DataDirectory = directory, Audit = false, Blotter = false, Firm = firm ?? ExampleFirm() }),
            NullLogger<EngineSession>.Instance);
        await session.StartAsync(CancellationToken.None);
        await session.Ready.WaitAsync(TimeSpan.FromSeconds(60));
        return session;
    }

    /// <summary>The console's operator actions over <paramref name="session"/>, with the real role policies.</summary>
    public static OperatorActions Actions(EngineSession session, string directory)
    {
        var authorization = new ServiceCollection().AddLogging().AddAuthorization(Policies.Add).BuildServiceProvider().GetRequiredService<IAuthorizationService>();
        return new OperatorActions(session, authorization, new LiveNotifier(session, NullLogger<LiveNotifier>.Instance), Users(directory), NullLogger<OperatorActions>.Instance);
    }

    /// <summary>A signed-in user of <paramref name="role"/>, as the cookie sign-in makes one.</summary>
    public static System.Security.Claims.ClaimsPrincipal User(string name, string role) =>
        AccountEndpoints.Principal(new ConsoleUser(name, role, PasswordHashing.Hash("irrelevant here"), "stamp"));

    public static UserStore Users(string directory, IDictionary<string, string?>? configuration = null) =>
        new(Settings(directory), new ConfigurationBuilder().AddInMemoryCollection(configuration ?? new Dictionary<string, string?>()).Build());

    public static EngineSession Session(string directory) =>
        new(Options.Create(new EngineSettings()), Options.Create(new FeedSettings()), Settings(directory), NullLogger<EngineSession>.Instance);

    /// <summary>
    /// Registers what the console's components inject, with <paramref name="session"/> or one whose engine is not
    /// started; returns the notifier to publish snapshots to.
    /// </summary>
    public static LiveNotifier AddConsole(this BunitContext context, EngineSession? session = null)
    {
        var directory = TempDirectory();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        session ??= Session(directory);
        var notifier = new LiveNotifier(session, NullLogger<LiveNotifier>.Instance);
        context.Services.AddSingleton(session);
        context.Services.AddSingleton(notifier);
        context.Services.AddSingleton(Users(directory));
        context.Services.AddSingleton<OperatorActions>();
        context.Services.AddSingleton(Settings(directory));
        context.Services.AddSingleton(Options.Create(new EngineSettings()));
        context.Services.AddSingleton<FastRebal.Console.AuditTrail.MarketDays>();
        context.Services.AddSingleton<FastRebal.Console.Kpi.KpiRecorder>();
        context.Services.AddLogging();
        return notifier;
    }

    /// <summary>A running engine's snapshot with the figures a test cares about.</summary>
    public static LiveSnapshot Running(double ordersPerSecond = 0, long ordersSent = 0, int accounts = 2000, int inBreach = 0, KillSwitchState? killSwitch = null)
    {
        var state = killSwitch ?? KillSwitchState.Released;
        var status = new EngineStatus(true, false, "test feed", new DateOnly(2025, 4, 1), 1000, 500, 0, 0, 10, accounts, 50, 20, ordersSent, 0, 20, 0,
            inBreach, 0, 0, 0, state, 0, 0, 0, 0, null);
        return new LiveSnapshot(DateTimeOffset.UtcNow, EnginePhase.Running, "running", status, new Throughput(100, 50, 5, ordersPerSecond), 1.5e9,
            [new ModelBreaches("BAL", "Balanced 60/40", accounts, inBreach, false)],
            [new DriftBucket("< 0.5%", accounts - inBreach), new DriftBucket("≥ 10%", inBreach)],
            default, default, [], [], new Dictionary<string, long>(), [], state);
    }
}
