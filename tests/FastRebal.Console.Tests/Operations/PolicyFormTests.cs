using FastRebal.Console.Operations;
using FastRebal.Engine.Model;
using FastRebal.Engine.State;
using FastRebal.Engine.Tax;

namespace FastRebal.Console.Tests.Operations;

public class PolicyFormTests
{
    private static readonly InstrumentTable Instruments = new([new Instrument("SPY", "SPY", "US Equity"), new Instrument("AGG", "AGG", "US Bonds")]);

    public static TheoryData<Action<PolicyForm>, string, string> BadForms => new()
    {
        { f => f.BandWidthPercent = 0, nameof(PolicyForm.BandWidthPercent), "Band width must be more than 0% and less than 100% (got 0)." },
        { f => f.BandWidthPercent = 100, nameof(PolicyForm.BandWidthPercent), "(got 100)" },
        { f => f.BandWidthPercent = double.NaN, nameof(PolicyForm.BandWidthPercent), "(got NaN)" },
        { f => f.BandWidthPercent = 60, nameof(PolicyForm.BandWidthPercent), "would never trigger" },
        { f => (f.Trigger, f.Calendar) = (RebalanceTrigger.Calendar, CalendarSchedule.None), nameof(PolicyForm.Calendar), "needs a calendar schedule" },
        { f => f.MinDaysBetweenRebalances = -1, nameof(PolicyForm.MinDaysBetweenRebalances), "(got -1)" },
        { f => f.CashReserveAmount = -5, nameof(PolicyForm.CashReserveAmount), "must not be negative (got -5)" },
        { f => f.CashReservePercent = 100, nameof(PolicyForm.CashReservePercent), "(got 100)" },
        { f => f.MinTradeValue = -1, nameof(PolicyForm.MinTradeValue), "must not be negative (got -1)" },
        { f => f.Target = " ", nameof(PolicyForm.Target), "Choose a model." },
        { f => f.Restrictions = "SPY, NOPE", nameof(PolicyForm.Restrictions), "Restricted instrument 'NOPE' is not an instrument of the book." },
        { f => f.AssetClassBands = "US Equity 5", nameof(PolicyForm.AssetClassBands), "'US Equity 5' is not written as 'class: points'" },
        { f => f.AssetClassBands = "Gold: 5", nameof(PolicyForm.AssetClassBands), "No instrument has the asset class 'Gold'." },
        { f => f.AssetClassBands = "US Bonds: 0", nameof(PolicyForm.AssetClassBands), "must be more than 0 and at most 50 points (got 0)" },
    };

    [Fact]
    public void Every_policy_field_is_editable_and_only_the_changed_ones_are_set()
    {
        var first = new InvestmentPolicy { Id = "IPS-1", RestrictedInstruments = ["SPY"], AssetClassBands = new Dictionary<string, double> { ["US Equity"] = 0.05 } };
        var other = new InvestmentPolicy { Id = "IPS-2", MinTradeValue = 500, FractionalShares = true, RestrictedInstruments = ["AGG"] };
        var form = PolicyForm.From(first, PolicyScope.Model, "BAL");
        Assert.Equal(("SPY", "US Equity: 5"), (form.Restrictions, form.AssetClassBands));
        form.Mode = RebalanceMode.ToBandEdge;
        form.AssetClassBands = "US Equity: 4; US Bonds: 2.5";

        var next = form.ApplyTo(other);

        Assert.Empty(form.Validate(Instruments));
        Assert.Equal(RebalanceMode.ToBandEdge, next.Mode);
        Assert.Equal(new Dictionary<string, double> { ["US Bonds"] = 0.025, ["US Equity"] = 0.04 }, next.AssetClassBands);
        // Fields not changed stay as each account has them: its restrictions, fractional shares, minimum trade.
        Assert.Equal(["AGG"], next.RestrictedInstruments!);
        Assert.True(next.FractionalShares);
        Assert.Equal(500m, next.MinTradeValue);
        Assert.Equal(
            "rebalance mode to target → back to the band's edge, asset-class bands US Equity ±5 points → US Bonds ±2.5 points; US Equity ±4 points; every other field as each account has it",
            form.Describe());

        // Clearing the restrictions lifts them on every account; clearing the class bands removes them.
        var lifted = PolicyForm.From(first, PolicyScope.Model, "BAL");
        lifted.Restrictions = " ";
        lifted.AssetClassBands = "";
        lifted.FractionalShares = true;
        var after = lifted.ApplyTo(other);
        Assert.Empty(after.RestrictedInstruments!);
        Assert.Null(after.AssetClassBands);
        Assert.True(after.FractionalShares);
        Assert.Contains("restricted instruments SPY → none", lifted.Describe(), StringComparison.Ordinal);

        // The page counts a model's different settings by these terms: loaded forms of two policies tell them apart.
        Assert.NotEqual(PolicyForm.From(first, PolicyScope.Model, "BAL").AllTerms(), PolicyForm.From(other, PolicyScope.Model, "BAL").AllTerms());
        Assert.Equal(PolicyForm.From(first, PolicyScope.Model, "BAL").AllTerms(), PolicyForm.From(first with { Id = "IPS-9", Version = 4 }, PolicyScope.Model, "BAL").AllTerms());
    }

    [Theory]
    [MemberData(nameof(BadForms))]
    public void Each_bad_field_is_named_with_its_value(Action<PolicyForm> spoil, string field, string message)
    {
        var form = new PolicyForm { Target = "BAL" };
        spoil(form);

        var problem = Assert.Single(form.Validate(Instruments));

        Assert.Equal(field, problem.Field);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Applying_a_form_changes_its_fields_in_engine_units_and_keeps_the_rest_of_the_policy()
    {
        var current = new InvestmentPolicy { Id = "IPS-1", Version = 3, RestrictedInstruments = ["SPY"], TaxStatus = TaxStatus.TaxDeferred, FractionalShares = true };
        var form = PolicyForm.From(current, PolicyScope.Account, "A0000001");
        form.BandWidthPercent = 2.5;
        form.BandType = BandType.Relative;
        form.CashReservePercent = 1;
        form.MinTradeValue = 100;

        var next = form.ApplyTo(current);

        Assert.Empty(form.Validate(Instruments));
        Assert.Equal(0.025, next.BandWidth, 12);
        Assert.Equal(BandType.Relative, next.BandType);
        Assert.Equal(0.01, next.CashReservePercent, 12);
        Assert.Equal(100m, next.MinTradeValue);
        Assert.Equal(["SPY"], next.RestrictedInstruments!);
        Assert.Equal(TaxStatus.TaxDeferred, next.TaxStatus);
        Assert.True(next.FractionalShares);
        Assert.Equal(("IPS-1", 3), (next.Id, next.Version));
    }

    [Fact]
    public void A_loaded_form_sets_only_the_fields_changed_and_each_account_keeps_its_others()
    {
        var first = new InvestmentPolicy { Id = "IPS-1", BandWidth = 0.05, MinTradeValue = 100, Calendar = CalendarSchedule.Quarterly };
        var other = new InvestmentPolicy { Id = "IPS-2", BandWidth = 0.03, MinTradeValue = 500, Calendar = CalendarSchedule.Monthly, CashReservePercent = 0.02 };
        var form = PolicyForm.From(first, PolicyScope.Model, "BAL");
        form.BandWidthPercent = 2;

        var next = form.ApplyTo(other);

        Assert.Equal(0.02, next.BandWidth, 12);
        Assert.Equal((500m, CalendarSchedule.Monthly, 0.02), (next.MinTradeValue, next.Calendar, next.CashReservePercent));
        Assert.Equal("band width ±5% → ±2%; every other field as each account has it", form.Describe());
        Assert.Equal([("band width", "±5%", "±2%")], form.Changes());
        Assert.Empty(form.Validate(Instruments));
    }

    [Fact]
    public void A_loaded_form_with_nothing_changed_has_nothing_to_apply()
    {
        var form = PolicyForm.From(new InvestmentPolicy { Id = "IPS-1", BandWidth = 0.05 }, PolicyScope.Account, "A0000001");

        Assert.Equal("no change", form.Describe());
        Assert.Contains("Nothing to apply", Assert.Single(form.Validate(Instruments)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unusual_values_among_the_fields_changed_are_named_before_confirming()
    {
        var form = PolicyForm.From(new InvestmentPolicy { Id = "IPS-1", BandWidth = 0.05, MinTradeValue = 100 }, PolicyScope.Account, "A0000001");
        Assert.Empty(form.Warnings());

        form.BandWidthPercent = 12;
        form.MinTradeValue = 0;

        Assert.Empty(form.Validate(Instruments));
        Assert.Collection(form.Warnings(),
            w => Assert.Contains("±12 points is unusually wide", w, StringComparison.Ordinal),
            w => Assert.Contains("minimum trade of zero", w, StringComparison.Ordinal));
    }

    [Fact]
    public void Tax_elections_are_edited_with_the_policy_only_where_changed_and_each_account_keeps_its_others()
    {
        var policy = new InvestmentPolicy { Id = "IPS-1" };
        var first = new AccountTaxSettings { LotMethod = LotMethod.Fifo, GainsBudget = 5000m };
        var other = new AccountTaxSettings { LotMethod = LotMethod.Lifo, GainsBudget = 20000m, DeferLongTermWithinDays = 30, Harvest = new HarvestSettings { MinLossPercent = 0.1 } };
        var form = PolicyForm.From(policy, PolicyScope.Model, "BAL", first);
        Assert.True(form.HasTax);
        Assert.Equal("5000", form.GainsBudget);
        Assert.False(form.ChangesTax);

        form.LotMethod = LotMethod.HighestCost;
        form.HarvestEnabled = true;
        var next = form.ApplyTax(other);

        Assert.True(form.ChangesTax);
        Assert.Empty(form.Validate(Instruments));
        Assert.Equal((LotMethod.HighestCost, true), (next.LotMethod, next.Harvest.Enabled));
        // Fields not changed stay the account's own: its budget, its deferral, its harvest threshold.
        Assert.Equal((20000m, 30, 0.1), (next.GainsBudget, next.DeferLongTermWithinDays, next.Harvest.MinLossPercent));
        Assert.Equal("lot method Fifo → HighestCost, harvesting off → on; every other field as each account has it", form.Describe());

        // Emptying the budget lifts the cap; a budget that is not an amount, or specific lots for a model, is refused.
        var lifted = PolicyForm.From(policy, PolicyScope.Model, "BAL", first);
        lifted.GainsBudget = "";
        Assert.Null(lifted.ApplyTax(other).GainsBudget);
        Assert.Contains("gains budget 5,000 → none", lifted.Describe(), StringComparison.Ordinal);
        var bad = PolicyForm.From(policy, PolicyScope.Model, "BAL", first);
        bad.GainsBudget = "lots";
        bad.LotMethod = LotMethod.SpecificLots;
        Assert.Equal([nameof(PolicyForm.GainsBudget), nameof(PolicyForm.LotMethod)], bad.Validate(Instruments).Select(p => p.Field));

        // Without lots (no tax settings given) the form has no tax fields and never changes elections.
        var plain = PolicyForm.From(policy, PolicyScope.Model, "BAL");
        plain.LotMethod = LotMethod.HighestCost;
        Assert.False(plain.ChangesTax);
        Assert.Equal("no change", plain.Describe());
    }
}
