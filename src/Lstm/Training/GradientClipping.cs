using Lstm.Kernels;

namespace Lstm.Training;

/// <summary>Clipping by global norm, over the flat gradient buffer (a tied weight is one parameter, counted once).</summary>
public static class GradientClipping
{
    /// <summary>
    /// ‖g‖₂ over every gradient; when rate = maxNorm / (‖g‖₂ + 1e−6) &lt; 1, scales every gradient by rate.
    /// Returns ‖g‖₂ before clipping.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not positive.</exception>
    public static float ClipByGlobalNorm(ParameterSet parameters, float maxNorm)
    {
        if (!(maxNorm > 0f))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be positive.");
        float norm = MathF.Sqrt(Elementwise.SumOfSquares(parameters.Gradients));
        float rate = maxNorm / (norm + 1e-6f);
        if (rate < 1f)
            Elementwise.Scale(parameters.Gradients, rate);
        return norm;
    }
}
