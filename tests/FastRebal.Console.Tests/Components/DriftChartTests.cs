using Bunit;
using FastRebal.Console.Components.Shared;
using FastRebal.Console.Live;

namespace FastRebal.Console.Tests.Components;

public class DriftChartTests : ComponentTest
{
    [Fact]
    public void The_chart_draws_one_bar_per_bucket_and_labels_each_with_its_count()
    {
        this.AddConsole();
        DriftBucket[] buckets = [new("< 0.5%", 1200), new("0.5–1%", 500), new("≥ 10%", 3)];

        var cut = Render<DriftChart>(p => p.Add(c => c.Buckets, buckets));

        Assert.Equal("< 0.5%: 1,200 · 0.5–1%: 500 · ≥ 10%: 3", cut.Find("#drift-buckets").TextContent);
        Assert.NotEmpty(cut.FindAll("svg"));
    }
}
