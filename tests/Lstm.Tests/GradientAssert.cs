using Lstm.Layers;
using Lstm.Models;

namespace Lstm.Tests;

/// <summary>
/// Assertions over the public <see cref="GradientCheck"/>: the gradients match central differences, and the same
/// check rejects them once one element is off by what a wrong formula would give (a check that cannot fail proves nothing).
/// </summary>
internal static class GradientAssert
{
    /// <summary>Every parameter's and the input's gradient of <paramref name="layer"/>; <paramref name="random"/> is what its dropout draws from.</summary>
    public static void Layer(ILayer layer, float[] xs, SequenceShape shape, RandomSource? random = null)
    {
        var options = new GradientCheckOptions(Random: random);
        var report = GradientCheck.Check(layer, xs, shape, options);
        Assert.True(report.Passed, report.ToString());
        Assert.True(report.Checked >= layer.Parameters.Sum(p => p.Length), "every parameter element is checked");
        ILayer perturbed = layer is IRecurrentLayer recurrent ? new PerturbedRecurrentLayer(recurrent) : new PerturbedLayer(layer);
        Assert.False(GradientCheck.Check(perturbed, xs, shape, options).Passed, "a gradient off by one element must fail the check");
    }

    /// <summary>Every parameter's gradient of <paramref name="model"/>'s loss on one batch.</summary>
    public static void Model(Model model, float[] inputs, float[] targets, SequenceShape shape)
    {
        var report = GradientCheck.Check(model, inputs, targets, shape);
        Assert.True(report.Passed, report.ToString());
        Assert.Equal(model.Parameters.Values.Length, report.Checked);
        Assert.False(GradientCheck.Check(new PerturbedModel(model), inputs, targets, shape).Passed, "a gradient off by one element must fail the check");
    }

    /// <summary>One claimed gradient of <paramref name="loss"/> with respect to <paramref name="values"/>.</summary>
    public static void Matches(string name, Func<double> loss, Span<float> values, ReadOnlySpan<float> analytic)
    {
        var report = GradientCheck.Check(name, loss, values, analytic);
        Assert.True(report.Passed, report.ToString());
        var perturbed = analytic.ToArray();
        Perturb(perturbed);
        Assert.False(GradientCheck.Check(name, loss, values, perturbed).Passed, "a gradient off by one element must fail the check");
    }

    /// <summary>Moves the largest element by 0.05 + 10%.</summary>
    private static void Perturb(Span<float> gradient)
    {
        int worst = 0;
        for (int i = 1; i < gradient.Length; i++)
        {
            if (Math.Abs(gradient[i]) > Math.Abs(gradient[worst]))
                worst = i;
        }
        gradient[worst] += 0.05f + 0.1f * Math.Abs(gradient[worst]);
    }

    /// <summary>The layer, with its first parameter's gradient (or, without parameters, its input gradient) moved in one element.</summary>
    private class PerturbedLayer(ILayer inner) : ILayer
    {
        private float[] _dxs = [];

        public IReadOnlyList<Parameter> Parameters => inner.Parameters;

        public int InputSize => inner.InputSize;

        public int OutputSize => inner.OutputSize;

        public SequenceShape OutputShape(SequenceShape input) => inner.OutputShape(input);

        public ReadOnlyMemory<float> Forward(ReadOnlyMemory<float> xs, SequenceShape shape, bool training) => inner.Forward(xs, shape, training);

        public ReadOnlyMemory<float> Backward(ReadOnlyMemory<float> dys)
        {
            var dxs = inner.Backward(dys);
            if (inner.Parameters.Count > 0)
            {
                Perturb(inner.Parameters[0].Grad);
                return dxs;
            }
            _dxs = dxs.ToArray();
            Perturb(_dxs);
            return _dxs;
        }
    }

    private sealed class PerturbedRecurrentLayer(IRecurrentLayer inner) : PerturbedLayer(inner), IRecurrentLayer
    {
        public int HiddenSize => inner.HiddenSize;

        public bool Stateful => inner.Stateful;

        public bool ReturnSequences => inner.ReturnSequences;

        public RecurrentState? State
        {
            get => inner.State;
            set => inner.State = value;
        }

        public RecurrentState StateGradient => inner.StateGradient;

        public void ResetState() => inner.ResetState();
    }

    private sealed class PerturbedModel(Model inner) : Model(inner.Parameters, inner.Random)
    {
        public override int InputSize => inner.InputSize;

        public override int OutputSize => inner.OutputSize;

        public override IReadOnlyList<IRecurrentLayer> RecurrentLayers => inner.RecurrentLayers;

        public override SequenceShape OutputShape(SequenceShape input) => inner.OutputShape(input);

        protected override ReadOnlyMemory<float> OnPredict(ReadOnlyMemory<float> inputs, SequenceShape shape) => inner.Predict(inputs, shape);

        protected override float OnForward(ReadOnlyMemory<float> inputs, ReadOnlyMemory<float> targets, SequenceShape shape, bool training)
            => inner.Forward(inputs, targets, shape, training);

        protected override void OnBackward()
        {
            inner.Backward();
            Perturb(Parameters.Gradients);
        }
    }
}
