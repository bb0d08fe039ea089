using System.Numerics.Tensors;
using Lstm.Layers;

namespace Lstm.Models;

/// <summary>How the next token is drawn from the model's scores.</summary>
/// <param name="Temperature">Scores are divided by this before the softmax; 0 takes the most likely token.</param>
/// <param name="TopK">Sample among the K most likely tokens only (0: all).</param>
/// <param name="TopP">Sample among the most likely tokens whose probabilities add up to at least P (1: all).</param>
public sealed record SamplingOptions(float Temperature = 1f, int TopK = 0, float TopP = 1f)
{
    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Temperature negative, TopK negative, or TopP outside (0, 1].</exception>
    public void Validate()
    {
        if (!(Temperature >= 0f && float.IsFinite(Temperature)))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "The temperature must be 0 or positive.");
        ArgumentOutOfRangeException.ThrowIfNegative(TopK);
        if (!(TopP > 0f && TopP <= 1f))
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top-p must be in (0, 1].");
    }
}

/// <summary>
/// Text generation (the book's chapter 7) from any model that maps one token id to scores over the next, such as
/// <see cref="Rnnlm"/>: feed the prompt, sample the next token from the softmax, feed it back;
/// the recurrent state carries the context. Deterministic for a given <see cref="RandomSource"/> seed.
/// </summary>
public static class TextGenerator
{
    /// <summary>Streams <paramref name="length"/> token ids sampled after <paramref name="prompt"/>, one at a time.</summary>
    /// <exception cref="ArgumentException">The prompt is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A prompt id is outside the vocabulary, or a sampling setting is out of range.</exception>
    public static IEnumerable<int> Generate(Model model, int[] prompt, int length, SamplingOptions options, RandomSource random)
    {
        if (prompt.Length == 0)
            throw new ArgumentException("The prompt needs at least one token (for instance <eos>, a sentence start).", nameof(prompt));
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return Stream(model, prompt, length, options, random);
    }

    private static IEnumerable<int> Stream(Model model, int[] prompt, int length, SamplingOptions options, RandomSource random)
    {
        int V = model.OutputSize;
        var one = new SequenceShape(1, 1);
        var probs = new float[V];
        var keys = new float[V];
        var order = new int[V];
        var x = new float[1];
        ReadOnlyMemory<float> scores = default;
        model.ResetState();
        foreach (int id in prompt)
        {
            x[0] = id;
            scores = model.Predict(x, one);
        }
        for (int i = 0; i < length; i++)
        {
            int next = Sample(scores.Span, options, random, probs, keys, order);
            yield return next;
            x[0] = next;
            scores = model.Predict(x, one);
        }
    }

    /// <summary>Draws one id from softmax(scores / temperature), restricted to the top-k and top-p set.</summary>
    internal static int Sample(ReadOnlySpan<float> scores, SamplingOptions options, RandomSource random, Span<float> probs, Span<float> keys, Span<int> order)
    {
        if (options.Temperature == 0f)
            return TensorPrimitives.IndexOfMax(scores);
        TensorPrimitives.Divide(scores, options.Temperature, probs);
        float max = TensorPrimitives.Max(probs);
        TensorPrimitives.Subtract(probs, max, probs);
        TensorPrimitives.Exp(probs, probs);
        TensorPrimitives.Divide(probs, TensorPrimitives.Sum(probs), probs);

        // Most likely first (the sort is deterministic for equal inputs); keep the top-k, then the shortest prefix
        // reaching top-p.
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        TensorPrimitives.Negate(probs, keys);
        keys.Sort(order);
        int keep = options.TopK > 0 ? Math.Min(options.TopK, order.Length) : order.Length;
        double cumulative = 0;
        for (int i = 0; i < keep; i++)
        {
            cumulative += probs[order[i]];
            if (cumulative >= options.TopP)
            {
                keep = i + 1;
                break;
            }
        }

        double total = 0;
        for (int i = 0; i < keep; i++)
            total += probs[order[i]];
        double u = random.NextSingle() * total;
        for (int i = 0; i < keep; i++)
        {
            u -= probs[order[i]];
            if (u < 0)
                return order[i];
        }
        return order[keep - 1];
    }
}
