namespace FastRebal.Engine.Backtest;

/// <summary>Named stress windows of market history, for <c>--window</c>.</summary>
public static class HistoryWindows
{
    /// <summary>Each window's name, first and last day, and what happened.</summary>
    public static IReadOnlyList<(string Name, DateOnly From, DateOnly To, string What)> All { get; } =
    [
        ("1929", new(1929, 9, 1), new(1932, 12, 31), "the 1929 crash and the Depression's bear market"),
        ("1973", new(1973, 1, 1), new(1974, 12, 31), "the 1973-1974 bear market and oil shock"),
        ("dotcom", new(2000, 1, 1), new(2002, 12, 31), "the dot-com bust"),
        ("gfc", new(2007, 10, 1), new(2009, 6, 30), "the global financial crisis"),
        ("covid", new(2020, 2, 1), new(2020, 6, 30), "the COVID crash and rebound"),
        ("2022", new(2022, 1, 1), new(2022, 12, 31), "the 2022 rates shock (stocks and bonds fell together)"),
    ];

    /// <summary>The window of that name, or an error listing the names.</summary>
    public static (DateOnly From, DateOnly To) Find(string name)
    {
        foreach (var window in All)
        {
            if (string.Equals(window.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return (window.From, window.To);
            }
        }
        throw new ArgumentException($"unknown window '{(name.Length <= 40 ? name : name[..40] + "...")}'; known: {string.Join(", ", All.Select(w => w.Name))}");
    }
}
