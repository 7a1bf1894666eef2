using FastRebal.Engine.Persistence;
using FastRebal.Engine.Scenarios;

namespace FastRebal.Cli;

/// <summary>The exit codes scripts can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int InternalError = 1;
    public const int BadInput = 2;

    /// <summary>The state folder was damaged: the run continued from the last good state with the kill switch engaged, or could not start.</summary>
    public const int StateDamage = 3;

    /// <summary>Runs a command body, turning input problems into exit code 2, a damaged state folder into 3 and anything unexpected into 1, each with a one-line message.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (StateDamageException e)
        {
            Console.Error.WriteLine($"fastrebal: state damage: {TextLimit.Clip(e.Message, 2000)}");
            return StateDamage;
        }
        catch (Exception e) when (e is ScenarioFormatException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or UsageException
            or StateMismatchException or UnauthorizedAccessException)
        {
            // Bounded, so a huge value in the input is never echoed whole.
            Console.Error.WriteLine($"fastrebal: bad input: {TextLimit.Clip(e.Message, 2000)}");
            return BadInput;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"fastrebal: internal error: {e.GetType().Name}: {TextLimit.Clip(e.Message, 2000)}");
            Console.Error.WriteLine(e.StackTrace);
            return InternalError;
        }
    }
}

/// <summary>A command-line value the parser accepted but the command cannot use (e.g. --accounts 0).</summary>
public sealed class UsageException(string message) : Exception(message);
