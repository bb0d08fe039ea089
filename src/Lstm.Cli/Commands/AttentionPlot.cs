using System.Globalization;
using Lstm.IO;
using ScottPlot;

namespace Lstm.Cli.Commands;

/// <summary>The book's <c>visualize_attention</c>: a heat map of attention weights, input characters across, output characters down.</summary>
internal static class AttentionPlot
{
    /// <summary>Writes weights [outputs, inputs] as a PNG, atomically.</summary>
    public static void Save(string path, string input, string[] outputs, float[] weights)
    {
        int Tq = input.EnumerateRunes().Count(), Td = outputs.Length;
        var characters = input.EnumerateRunes().Select(r => r.ToString()).ToArray();
        var intensities = new double[Td, Tq];
        for (int t = 0; t < Td; t++)
        {
            for (int s = 0; s < Tq; s++)
                intensities[t, s] = weights[t * Tq + s];
        }
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        var heatmap = plot.Add.Heatmap(intensities);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap);
        // Row 0 of the intensities is drawn at the top, cell centres on whole coordinates.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, Tq).Select(s => (double)s)], [.. characters.Select(c => c == " " ? "·" : c)]);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, Td).Select(t => (double)(Td - 1 - t))], [.. outputs.Select(c => c == " " ? "·" : c)]);
        plot.Axes.Bottom.Label.Text = "input";
        plot.Axes.Left.Label.Text = "output";
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"attention: {input.TrimEnd()} → {string.Concat(outputs).TrimEnd()}"));
        AtomicFile.Write(path, temporary => plot.SavePng(temporary, Math.Max(400, 28 * Tq + 160), Math.Max(300, 28 * Td + 140)));
    }
}
