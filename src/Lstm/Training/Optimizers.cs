using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Lstm.Training;

/// <summary>Updates every parameter of a <see cref="ParameterSet"/> from its gradient, in one pass over the flat buffers.</summary>
public abstract class Optimizer
{
    private float _learningRate;

    /// <summary>An optimizer with step size <paramref name="learningRate"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate is not positive and finite.</exception>
    protected Optimizer(float learningRate) => LearningRate = learningRate;

    /// <summary>The step size; changed by learning-rate decay.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite.</exception>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value > 0f && float.IsFinite(value)))
                throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be positive and finite.");
            _learningRate = value;
        }
    }

    private readonly SortedDictionary<string, float[]> _state = new(StringComparer.Ordinal);

    /// <summary>Updates the values of <paramref name="parameters"/> from their gradients.</summary>
    public abstract void Step(ParameterSet parameters);

    /// <summary>Buffers of per-parameter state by name (none for plain SGD), laid out like <see cref="ParameterSet.Values"/>.</summary>
    public IReadOnlyDictionary<string, float[]> State => _state;

    /// <summary>The names of the buffers in <see cref="State"/> once a step has been taken.</summary>
    public virtual IReadOnlyList<string> StateNames => [];

    /// <summary>Updates taken so far.</summary>
    public long Steps { get; set; }

    /// <summary>Restores a state buffer saved from <see cref="State"/>, to resume a run.</summary>
    public void RestoreState(string name, ReadOnlySpan<float> values) => values.CopyTo(RestoreBuffer(name, values.Length));

    /// <summary>A new state buffer <paramref name="name"/> of <paramref name="length"/> values, for a loader to fill.</summary>
    internal float[] RestoreBuffer(string name, int length) => _state[name] = new float[length];

    /// <summary>The state buffer <paramref name="name"/>, sized like the parameters (zero on first use).</summary>
    protected float[] StateBuffer(string name, ParameterSet parameters)
    {
        if (!_state.TryGetValue(name, out var buffer) || buffer.Length != parameters.Length)
            _state[name] = buffer = new float[parameters.Length];
        return buffer;
    }
}

/// <summary>Stochastic gradient descent: p ← p − lr·g.</summary>
public sealed class Sgd(float learningRate) : Optimizer(learningRate)
{
    /// <inheritdoc/>
    public override void Step(ParameterSet parameters)
    {
        TensorPrimitives.MultiplyAdd(parameters.Gradients, -LearningRate, parameters.Values, parameters.Values);
        Steps++;
    }
}

/// <summary>SGD with momentum (the book's): v ← μ·v − lr·g; p ← p + v.</summary>
public sealed class Momentum(float learningRate, float momentum = 0.9f) : Optimizer(learningRate)
{
    /// <summary>μ, the fraction of the previous update kept.</summary>
    public float MomentumFactor { get; } = momentum;

    /// <inheritdoc/>
    public override IReadOnlyList<string> StateNames => ["velocity"];

    /// <inheritdoc/>
    public override void Step(ParameterSet parameters)
    {
        var v = StateBuffer("velocity", parameters);
        TensorPrimitives.Multiply(v, MomentumFactor, v);
        TensorPrimitives.MultiplyAdd(parameters.Gradients, -LearningRate, v, v);
        TensorPrimitives.Add(parameters.Values, v, parameters.Values);
        Steps++;
    }
}

/// <summary>
/// Adam (the book's form): with t the step number, lr_t = lr·√(1−β₂ᵗ)/(1−β₁ᵗ); m ← m + (1−β₁)(g − m);
/// v ← v + (1−β₂)(g² − v); p ← p − lr_t·m/(√v + ε). AdamW first decays p ← p − lr·λ·p (decoupled weight decay).
/// </summary>
public class Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f) : Optimizer(learningRate)
{
    /// <summary>λ, the decoupled weight decay (0 for Adam).</summary>
    public float WeightDecay { get; init; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> StateNames => ["m", "v"];

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Step(ParameterSet parameters)
    {
        var m = StateBuffer("m", parameters);
        var v = StateBuffer("v", parameters);
        var p = parameters.Values;
        var g = parameters.Gradients;
        if (WeightDecay > 0f)
            TensorPrimitives.Multiply(p, 1f - LearningRate * WeightDecay, p);

        Steps++;
        float lrT = (float)(LearningRate * Math.Sqrt(1 - Math.Pow(beta2, Steps)) / (1 - Math.Pow(beta1, Steps)));
        float a1 = 1f - beta1, a2 = 1f - beta2;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va1 = new Vector<float>(a1);
            var va2 = new Vector<float>(a2);
            var vlr = new Vector<float>(lrT);
            var veps = new Vector<float>(epsilon);
            for (; i <= p.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var gi = new Vector<float>(g, i);
                var mi = new Vector<float>(m, i);
                var vi = new Vector<float>(v, i);
                mi += va1 * (gi - mi);
                vi += va2 * (gi * gi - vi);
                mi.CopyTo(m, i);
                vi.CopyTo(v, i);
                (new Vector<float>(p, i) - vlr * mi / (Vector.SquareRoot(vi) + veps)).CopyTo(p, i);
            }
        }

        for (; i < p.Length; i++)
        {
            m[i] += a1 * (g[i] - m[i]);
            v[i] += a2 * (g[i] * g[i] - v[i]);
            p[i] -= lrT * m[i] / (MathF.Sqrt(v[i]) + epsilon);
        }
    }
}

/// <summary>Adam with decoupled weight decay λ (Loshchilov and Hutter): p ← p − lr·λ·p before each Adam step.</summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW with step size <paramref name="learningRate"/> and weight decay <paramref name="weightDecay"/>.</summary>
    public AdamW(float learningRate = 0.001f, float weightDecay = 0.01f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(learningRate, beta1, beta2, epsilon)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weightDecay);
        WeightDecay = weightDecay;
    }
}
