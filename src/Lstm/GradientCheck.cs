using Lstm.Layers;
using Lstm.Models;

namespace Lstm;

/// <summary>Settings of a <see cref="GradientCheck"/>.</summary>
/// <param name="Step">h of the central difference (L(x + h) − L(x − h)) / 2h. Float forward passes round L at about
/// 1e−6, so h = 1e−2 keeps the quotient's noise near 1e−4.</param>
/// <param name="AbsoluteTolerance">An element passes when |analytic − numerical| ≤ absolute + relative · max(|analytic|, |numerical|).</param>
/// <param name="RelativeTolerance">See <paramref name="AbsoluteTolerance"/>.</param>
/// <param name="Seed">Seed of the random output gradient of a layer check.</param>
/// <param name="Random">The generator the layer or model draws dropout masks from: rewound before every forward pass, so every pass draws the same masks.</param>
public sealed record GradientCheckOptions(float Step = 1e-2f, double AbsoluteTolerance = 1e-3, double RelativeTolerance = 1e-2,
    ulong Seed = 1, RandomSource? Random = null);

/// <summary>The outcome of a gradient check: how many elements were compared, how many failed, and the worst one.</summary>
/// <param name="Checked">Elements compared.</param>
/// <param name="Failed">Elements outside the tolerance.</param>
/// <param name="WorstRelativeError">The largest |analytic − numerical| / max(|analytic|, |numerical|) over elements above the absolute tolerance (0 when none is).</param>
/// <param name="Worst">The element with that error, e.g. <c>lstm.Wx[17]: analytic 0.1234, numerical 0.1301</c>; empty when none.</param>
/// <param name="Failures">Up to 20 failing elements, in the form of <paramref name="Worst"/>.</param>
public sealed record GradientCheckReport(int Checked, int Failed, double WorstRelativeError, string Worst, IReadOnlyList<string> Failures)
{
    /// <summary>Whether every element is within the tolerance.</summary>
    public bool Passed => Failed == 0;

    /// <inheritdoc/>
    public override string ToString() => Passed
        ? $"{Checked} gradients match (worst relative error {WorstRelativeError:G3}{(Worst.Length > 0 ? $", {Worst}" : "")})."
        : $"{Failed} of {Checked} gradients differ from central differences:\n{string.Join('\n', Failures)}";
}

/// <summary>
/// Checks a backward pass against central differences (PyTorch's <c>gradcheck</c>, in float): for a layer, of
/// L = Σ ys ⊙ dys with a random dys, so <see cref="ILayer.Backward"/>(dys) gives ∂L/∂xs and the parameters' ∂L/∂θ
/// directly; for a model, of its loss. Every parameter element (and every input value of a layer with an input
/// gradient) is moved by ±h and the loss recomputed: 2 forward passes per element, so check on tiny shapes
/// (N = 2, T = 3, D = 4, H = 5).
/// </summary>
/// <remarks>
/// Stateful layers and models start every pass from the state they had when the check began; with
/// <see cref="GradientCheckOptions.Random"/>, every pass draws the same dropout masks.
/// </remarks>
public static class GradientCheck
{
    /// <summary>Checks <paramref name="layer"/>'s gradients of its parameters and of <paramref name="xs"/> [N,T,InputSize].</summary>
    /// <exception cref="ArgumentException">xs does not fit the layer and shape.</exception>
    public static GradientCheckReport Check(ILayer layer, float[] xs, SequenceShape shape, GradientCheckOptions? options = null)
    {
        options ??= new GradientCheckOptions();
        var recurrent = layer as IRecurrentLayer;
        var state = recurrent?.State;
        var rng = options.Random?.State;
        var outputShape = layer.OutputShape(shape);
        var dys = new float[outputShape.Rows * layer.OutputSize];
        var random = new RandomSource(options.Seed);
        for (int i = 0; i < dys.Length; i++)
            dys[i] = 2f * random.NextSingle() - 1f;

        ReadOnlyMemory<float> Run()
        {
            if (recurrent is not null)
                recurrent.State = state;
            if (rng is { } r)
                options.Random!.SetState(r);
            return layer.Forward(xs, shape, training: true);
        }
        double Loss() => Dot(Run().Span, dys);

        foreach (var p in layer.Parameters)
            p.Grad.Clear();
        Run();
        var dxs = layer.Backward(dys).ToArray();
        var comparison = new Comparison(options);
        foreach (var p in layer.Parameters)
            comparison.Add(p.Name, Loss, p.Value, p.Grad.ToArray());
        if (dxs.Length > 0)
            comparison.Add("xs", Loss, xs, dxs);
        if (recurrent is not null)
            recurrent.State = state;
        return comparison.Report();
    }

    /// <summary>Checks the gradients of every parameter of <paramref name="model"/> for its loss on one training batch.</summary>
    /// <exception cref="ArgumentException">The inputs or targets do not fit the model and shape.</exception>
    public static GradientCheckReport Check(Model model, float[] inputs, float[] targets, SequenceShape shape, GradientCheckOptions? options = null)
    {
        options ??= new GradientCheckOptions();
        var state = model.SaveState();
        var random = options.Random ?? model.Random;
        var rng = random.State;
        double Loss()
        {
            model.RestoreState(state);
            random.SetState(rng);
            return model.Forward(inputs, targets, shape, training: true);
        }

        Loss();
        model.Parameters.ZeroGrad();
        model.Backward();
        var comparison = new Comparison(options);
        foreach (var p in model.Parameters.Parameters)
            comparison.Add(p.Name, Loss, p.Value, p.Grad.ToArray());
        model.RestoreState(state);
        return comparison.Report();
    }

    /// <summary>
    /// The general form: compares <paramref name="analytic"/>, the claimed gradient of <paramref name="loss"/> with
    /// respect to <paramref name="values"/>, with central differences, moving each value and putting it back.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static GradientCheckReport Check(string name, Func<double> loss, Span<float> values, ReadOnlySpan<float> analytic, GradientCheckOptions? options = null)
    {
        var comparison = new Comparison(options ?? new GradientCheckOptions());
        comparison.Add(name, loss, values, analytic);
        return comparison.Report();
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += (double)a[i] * b[i];
        return sum;
    }

    private sealed class Comparison(GradientCheckOptions options)
    {
        private readonly List<string> _failures = [];
        private int _checked, _failed;
        private double _worst;
        private string _worstElement = "";

        public void Add(string name, Func<double> loss, Span<float> values, ReadOnlySpan<float> analytic)
        {
            if (values.Length != analytic.Length)
                throw new ArgumentException($"'{name}' has {values.Length} values but {analytic.Length} gradients.", nameof(analytic));
            float h = options.Step;
            for (int i = 0; i < values.Length; i++)
            {
                float saved = values[i];
                values[i] = saved + h;
                double plus = loss();
                values[i] = saved - h;
                double minus = loss();
                values[i] = saved;
                double numerical = (plus - minus) / (2.0 * h), error = Math.Abs(numerical - analytic[i]);
                double scale = Math.Max(Math.Abs(numerical), Math.Abs(analytic[i]));
                string element = $"{name}[{i}]: analytic {analytic[i]:G6}, numerical {numerical:G6}";
                _checked++;
                if (error > options.AbsoluteTolerance && error / scale > _worst)
                    (_worst, _worstElement) = (error / scale, element);
                if (!(error <= options.AbsoluteTolerance + options.RelativeTolerance * scale))
                {
                    _failed++;
                    if (_failures.Count < 20)
                        _failures.Add(element);
                }
            }
        }

        public GradientCheckReport Report() => new(_checked, _failed, _worst, _worstElement, _failures);
    }
}
