using FastRebal.Engine.Scenarios;

namespace FastRebal.Cli;

/// <summary>Checks of file and folder options, made before any work starts so a wrong path never costs a run or a stack trace.</summary>
public static class OptionChecks
{
    /// <summary>A file the command writes (or appends to): not a folder, in a folder that exists. "-" and null pass.</summary>
    public static string? OutputFile(string option, string? path)
    {
        if (path is null or "-")
        {
            return path;
        }
        var full = FullPath(option, path);
        if (Directory.Exists(full))
        {
            throw new UsageException($"{option} {Shown(path)}: is a folder; give a file");
        }
        if (Path.GetDirectoryName(full) is { } folder && !Directory.Exists(folder))
        {
            throw new UsageException($"{option} {Shown(path)}: the folder {Shown(folder)} does not exist");
        }
        return path;
    }

    /// <summary>A file the command reads: it must exist and not be a folder.</summary>
    /// <summary>A scenario file, or a firm folder (whose own reading says what it lacks).</summary>
    public static string InputFileOrFolder(string option, string path) =>
        Directory.Exists(FullPath(option, path)) ? path : InputFile(option, path);

    public static string InputFile(string option, string path)
    {
        var full = FullPath(option, path);
        if (Directory.Exists(full))
        {
            throw new UsageException($"{option} {Shown(path)}: is a folder; give a file");
        }
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"{option} {Shown(path)}: file not found");
        }
        return path;
    }

    /// <summary>A folder the command keeps its state in (created if missing): it must not be a file.</summary>
    public static string? StateFolder(string option, string? path)
    {
        if (path is not null && File.Exists(FullPath(option, path)))
        {
            throw new UsageException($"{option} {Shown(path)}: is a file; give a folder");
        }
        return path;
    }

    private static string FullPath(string option, string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UsageException($"{option} {Shown(path)}: not a usable path ({e.Message})");
        }
    }

    private static string Shown(string path) => TextLimit.Clip(path, 200);
}
