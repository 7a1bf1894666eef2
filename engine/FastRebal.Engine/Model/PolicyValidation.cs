using System.Globalization;
using FastRebal.Engine.Scenarios;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Model;

/// <summary>The checks every investment policy passes before the engine applies it, from a file or a live edit.</summary>
public static class PolicyValidation
{
    /// <summary>Every problem with a policy as (field, what is wrong); empty when it is valid.</summary>
    public static List<(string Field, string Problem)> Problems(InvestmentPolicy policy, InstrumentTable table)
    {
        var problems = new List<(string Field, string Problem)>();
        void Fail(string field, string problem) => problems.Add((field, problem));
        if (string.IsNullOrWhiteSpace(policy.Id))
        {
            Fail("policy.id", "is required (decisions cite the IPS id and version)");
        }
        if (policy.Version < 1)
        {
            Fail("policy.version", $"must be 1 or more, got {policy.Version}");
        }
        if (!double.IsFinite(policy.BandWidth) || policy.BandWidth <= 0 || policy.BandWidth >= 1)
        {
            Fail("policy.bandWidth", string.Create(CultureInfo.InvariantCulture, $"must be a fraction between 0 and 1 (0.05 = 5%), got {policy.BandWidth}"));
        }
        foreach (var (assetClass, band) in policy.AssetClassBands ?? new Dictionary<string, double>())
        {
            if (!double.IsFinite(band) || band <= 0 || band >= 1)
            {
                Fail($"policy.assetClassBands.{TextLimit.Clip(assetClass, 80)}", string.Create(CultureInfo.InvariantCulture, $"must be a fraction between 0 and 1, got {band}"));
            }
        }
        if (policy.MinDaysBetweenRebalances < 0)
        {
            Fail("policy.minDaysBetweenRebalances", $"must not be negative, got {policy.MinDaysBetweenRebalances}");
        }
        if (policy.CashReserveAmount < 0)
        {
            Fail("policy.cashReserveAmount", $"must not be negative, got {policy.CashReserveAmount}");
        }
        if (!double.IsFinite(policy.CashReservePercent) || policy.CashReservePercent < 0 || policy.CashReservePercent >= 1)
        {
            Fail("policy.cashReservePercent", string.Create(CultureInfo.InvariantCulture, $"must be a fraction from 0 up to 1, got {policy.CashReservePercent}"));
        }
        if (policy.MinTradeValue < 0)
        {
            Fail("policy.minTradeValue", $"must not be negative, got {policy.MinTradeValue}");
        }
        foreach (var restricted in policy.RestrictedInstruments ?? [])
        {
            if (!table.TryGetIndex(restricted ?? "", out _))
            {
                Fail("policy.restrictedInstruments", $"unknown instrument '{TextLimit.Clip(restricted, 80)}'");
            }
        }
        return problems;
    }
}
