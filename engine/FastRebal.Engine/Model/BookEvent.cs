namespace FastRebal.Engine.Model;

/// <summary>
/// Something that happens to the book on a given day, outside trading: a cash flow (a deposit, a withdrawal, a
/// dividend to invest, a fee), an account opened, moved or closed, a corporate action (a split, a symbol change), or a
/// holdings sync against the custodian's end-of-day file. The live engine applies
/// each when its market reaches the day, journaled with the batch it lands in and audited, so a recovery applies it
/// exactly once.
/// </summary>
/// <param name="Flow">The cash flow; null for a holdings sync.</param>
/// <param name="Source">Where it came from, for the audit trail (e.g. "events.csv line 4").</param>
public sealed record BookEvent(DateOnly Date, CashFlow? Flow, string Source)
{
    /// <summary>A move of an account to another named IPS (its policy and tax elections); null for other events.</summary>
    public PolicyMove? Move { get; init; }

    /// <summary>A move of <paramref name="accountId"/> to <paramref name="policy"/> on <paramref name="date"/>.</summary>
    public static BookEvent MoveTo(DateOnly date, string accountId, Scenarios.NamedPolicy policy, string source) =>
        new(date, null, source) { Move = new PolicyMove(accountId, policy) };

    /// <summary>The account a close event closes (its holdings and cash transferred out in kind); null for other events.</summary>
    public string? Closing { get; init; }

    /// <summary>A close of <paramref name="accountId"/> on <paramref name="date"/>.</summary>
    public static BookEvent Close(DateOnly date, string accountId, string source) => new(date, null, source) { Closing = accountId };

    /// <summary>A move of an account to another model; null for other events.</summary>
    public ModelMove? ToModel { get; init; }

    /// <summary>A move of <paramref name="accountId"/> to model <paramref name="modelId"/> on <paramref name="date"/>.</summary>
    public static BookEvent MoveToModel(DateOnly date, string accountId, string modelId, string source) => new(date, null, source) { ToModel = new ModelMove(accountId, modelId) };

    /// <summary>An account opened on this day; null for other events.</summary>
    public AccountOpening? Opening { get; init; }

    /// <summary>The opening of an account on <paramref name="date"/>.</summary>
    public static BookEvent Open(DateOnly date, AccountOpening opening, string source) => new(date, null, source) { Opening = opening };

    /// <summary>A corporate action on one instrument (a split, or a symbol change); null for other events.</summary>
    public CorporateAction? Action { get; init; }

    /// <summary>A corporate action effective on <paramref name="date"/> (the ex-date of a split).</summary>
    public static BookEvent Corporate(DateOnly date, CorporateAction action, string source) => new(date, null, source) { Action = action };

    /// <summary>A holdings sync: the custodian's figures, compared on the first market day after their as-of date.</summary>
    public Reconciliation.CustodianHoldings? Holdings { get; init; }

    /// <summary>With <see cref="Holdings"/>: take the custodian's figures for every account whose breaks can all be accepted.</summary>
    public bool AcceptHoldings { get; init; }

    /// <summary>A sync of <paramref name="holdings"/>, run after the close of its as-of day.</summary>
    public static BookEvent Sync(Reconciliation.CustodianHoldings holdings, bool accept) =>
        new(holdings.AsOf.AddDays(1), null, holdings.Source) { Holdings = holdings, AcceptHoldings = accept };

    /// <summary>
    /// The splits among <paramref name="events"/> of instruments the table holds, as (instrument index, ex-date, ratio):
    /// what a replay feed quotes in new shares from, and what the price verifier rescales for ahead.
    /// </summary>
    public static (int Instrument, DateOnly ExDate, double Ratio)[] SplitSchedule(IEnumerable<BookEvent> events, State.InstrumentTable instruments) =>
        [.. events.Where(e => e.Action?.Ratio is not null && instruments.TryGetIndex(e.Action.InstrumentId, out _))
            .Select(e => (instruments.IndexOf(e.Action!.InstrumentId), e.Date, (double)e.Action.Ratio!.Value))];

    /// <summary>Whether a journaled command is this event (a replay must apply the engine's own schedule).</summary>
    internal bool Matches(Pipeline.JournaledCommand command) => this switch
    {
        { Holdings: { } h } => command.Kind == Pipeline.CommandKind.HoldingsSync && command.Holdings is { } image && image.Source == h.Source && image.AsOf == h.AsOf.DayNumber && image.Accounts.Length == h.Accounts.Count,
        // A move refused while being resolved is journaled as refused, with the account and the policy id still on it.
        { Move: { } move } => command.Kind is Pipeline.CommandKind.PolicyMove or Pipeline.CommandKind.Refused && command.AccountId == move.AccountId && command.Target == move.Policy.Policy.Id,
        { Closing: { } account } => command.Kind == Pipeline.CommandKind.CloseAccount && command.AccountId == account,
        { ToModel: { } change } => command.Kind == Pipeline.CommandKind.ModelMove && command.AccountId == change.AccountId && command.Target == change.ModelId,
        // An opening refused while being resolved is journaled as refused, with the account still on it.
        { Opening: { } opening } => command.Kind is Pipeline.CommandKind.OpenAccount or Pipeline.CommandKind.Refused && command.AccountId == opening.AccountId && command.Target == opening.ModelId,
        // A corporate action refused while being resolved is journaled as refused, with its instrument still on it.
        { Action: { } action } => command.Kind is Pipeline.CommandKind.Split or Pipeline.CommandKind.SymbolChange or Pipeline.CommandKind.Refused && command.Target == action.InstrumentId && command.Amount == (action.Ratio ?? 0) && command.Symbol == action.Symbol,
        _ => command.Kind is not (Pipeline.CommandKind.PolicyMove or Pipeline.CommandKind.CloseAccount or Pipeline.CommandKind.Split or Pipeline.CommandKind.SymbolChange or Pipeline.CommandKind.OpenAccount or Pipeline.CommandKind.ModelMove) && command.AccountId == Flow!.AccountId && command.FlowKind == Flow.Kind && command.Amount == Flow.Amount && command.KeepAsCash == Flow.KeepAsCash,
    };
}

/// <summary>
/// A new client account: its id, household, model and named IPS (policy and tax elections), and the cash it opens
/// with (0 when it is funded later, by a deposit or by holdings transferred in and taken at a holdings sync).
/// </summary>
public sealed record AccountOpening(string AccountId, string HouseholdId, string ModelId, Scenarios.NamedPolicy Policy, decimal Cash);

/// <summary>A book event's move of an account to another model.</summary>
public sealed record ModelMove(string AccountId, string ModelId);

/// <summary>A book event's move of an account to another named IPS.</summary>
public sealed record PolicyMove(string AccountId, Scenarios.NamedPolicy Policy);

/// <summary>
/// A corporate action on one instrument, effective on its date for every account: a split of <see cref="Ratio"/> new
/// shares for each old one (2 for a 2-for-1 split, 0.1 for a 1-for-10 reverse split), or a change of its ticker to
/// <see cref="Symbol"/>. Exactly one of the two is set.
/// </summary>
public sealed record CorporateAction(string InstrumentId, decimal? Ratio, string? Symbol)
{
    /// <summary>
    /// Reads a split ratio as new shares per old share: a number (<c>2</c>, <c>0.1</c>) or <c>new:old</c> (<c>3:2</c>,
    /// <c>1:10</c>). Returns what is wrong with it, or null with <paramref name="ratio"/> set.
    /// </summary>
    public static string? ParseRatio(ReadOnlySpan<char> text, out decimal ratio)
    {
        ratio = 0;
        text = text.Trim();
        if (text.IsEmpty)
        {
            return "is required for a split (new shares per old share: 2 or 2:1 for 2-for-1, 1:10 for a 1-for-10 reverse split)";
        }
        var colon = text.IndexOf(':');
        if (colon >= 0)
        {
            if (!Number(text[..colon], out var shares) || !Number(text[(colon + 1)..], out var old) || shares <= 0 || old <= 0)
            {
                return $"expects new:old with two positive numbers (like 3:2), got '{Scenarios.TextLimit.Clip(new string(text), 60)}'";
            }
            ratio = shares / old;
        }
        else if (!Number(text, out ratio))
        {
            return $"expects a number or new:old (like 2 or 3:2), got '{Scenarios.TextLimit.Clip(new string(text), 60)}'";
        }
        return Pipeline.EvaluationStage.SplitRatioProblem(ratio);
    }

    private static bool Number(ReadOnlySpan<char> text, out decimal value) =>
        decimal.TryParse(text.Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value);
}
