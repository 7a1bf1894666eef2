using FastRebal.Engine.Risk;
using FastRebal.Engine.State;

namespace FastRebal.Engine.Tests.Pipeline;

/// <summary>The book's own prices as the verified ones, for a real risk gate's collars.</summary>
internal sealed class BookPrices(AccountBook book) : IReferencePrices
{
    public double VerifiedPrice(int instrument) => book.Prices[instrument];

    public bool IsFrozen(int instrument) => false;
}
