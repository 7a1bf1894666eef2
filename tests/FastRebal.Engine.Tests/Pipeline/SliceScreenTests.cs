using FastRebal.Engine.Drift;
using FastRebal.Engine.Pipeline;

namespace FastRebal.Engine.Tests.Pipeline;

public class SliceScreenTests
{
    private static double Pick(Random random, params double[] choices) => choices[random.Next(choices.Length)];

    [Fact]
    public void The_screen_passes_every_account_the_exact_checks_would_act_on_and_only_drops_those_with_nothing_to_do()
    {
        var builder = new TestBook().Instrument("A", 10).Instrument("B", 10).Model("M", ("A", 0.5), ("B", 0.5));
        for (var a = 0; a < 64; a++)
        {
            builder.Account($"X{a}", "M", 0, positions: [("A", 1), ("B", 1)]);
        }
        var book = builder.Load().Book;
        var report = new DriftReport(book);
        var cash = new double[64];
        var narrowest = new double[64];
        var targetSum = new double[64];
        var parked = new double[64];
        var dropped = 0;

        for (var seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            for (var a = 0; a < 64; a++)
            {
                report.InvestableValue[a] = Pick(random, 1000 * random.NextDouble(), 0, -5, double.NaN, 1e-300);
                report.TotalValue[a] = report.InvestableValue[a] + Pick(random, 0, 50 * random.NextDouble());
                cash[a] = Pick(random, 0, 40 * random.NextDouble(), 1e6);
                report.MaxExcess[a] = Pick(random, -0.01 * random.NextDouble(), 0, 0.01 * random.NextDouble(), double.NegativeInfinity, double.NaN);
                report.TotalDrift[a] = Pick(random, 0.2 * random.NextDouble(), 0, double.NaN);
                narrowest[a] = Pick(random, double.PositiveInfinity, 0.05, 0.1 * random.NextDouble());
                targetSum[a] = Pick(random, 1, 0.97, 1 - (0.1 * random.NextDouble()));
                parked[a] = Pick(random, double.NaN, double.NaN, 0.02 * random.NextDouble(), double.PositiveInfinity);
                // Right at the exact check's edge: the bound within a rounding of the narrowest band.
                if (random.Next(8) == 0 && double.IsFinite(narrowest[a]) && report.InvestableValue[a] > 0)
                {
                    var invested = (report.TotalValue[a] - cash[a]) / report.InvestableValue[a];
                    report.TotalDrift[a] = narrowest[a] - (Math.Abs(invested - targetSum[a]) / 2) - Pick(random, 0, 5e-10, 1e-9, 1.5e-9);
                }
            }

            for (var first = 0; first < 64; first += 4)
            {
                var bits = SliceScreen.Four(first, report, cash, narrowest, targetSum, parked);
                for (var i = 0; i < 4; i++)
                {
                    var a = first + i;
                    var passed = (bits & (1u << i)) != 0;
                    // The exact checks, as the evaluation stage makes them (class bands exist where narrowest is finite).
                    var investable = report.InvestableValue[a] > 0;
                    var classBound = (report.TotalDrift[a] + (Math.Abs(((report.TotalValue[a] - cash[a]) / report.InvestableValue[a]) - targetSum[a]) / 2)) > narrowest[a] - 1e-9;
                    var exact = report.Breaches(a) || (investable && double.IsFinite(narrowest[a]) && classBound) || !double.IsNaN(parked[a]);
                    Assert.True(passed || !exact, $"seed {seed}, account {a}: the exact checks act on it, the screen dropped it");
                    // With no class band, nothing parked and no position out, the screen must drop it.
                    if (!double.IsFinite(narrowest[a]) && double.IsNaN(parked[a]) && !report.Breaches(a))
                    {
                        Assert.False(passed, $"seed {seed}, account {a}: nothing to do, yet the screen passed it");
                        dropped++;
                    }
                }
            }
        }
        Assert.True(dropped > 1000, "the cases the screen drops must be exercised");
        Assert.Throws<ArgumentOutOfRangeException>(() => SliceScreen.Four(62, report, cash, narrowest, targetSum, parked));
    }
}
