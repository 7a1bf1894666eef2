using FastRebal.Cli;

namespace FastRebal.Engine.Tests;

/// <summary>Runs the fastrebal command through its real entry point and captures what it printed.</summary>
internal static class CliRunner
{
    /// <summary>The exit code, standard output and standard error of one command. Tests using it share <see cref="ConsoleCollection"/>, since the console is process-wide.</summary>
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (oldOut, oldError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var code = (int)typeof(ExitCodes).Assembly.EntryPoint!.Invoke(null, [args])!;
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }
}
