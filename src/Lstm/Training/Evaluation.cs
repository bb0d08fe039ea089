using Lstm.Models;

namespace Lstm.Training;

/// <summary>The book's evaluation (<c>eval_perplexity</c>) and, over the same windows, next-token accuracy.</summary>
public static class Evaluation
{
    /// <summary>
    /// exp(mean loss) over (len − 1) / (N·T) windows: window k, row i reads from k·T + i·jump with
    /// jump = (len − 1) / N; the state carries from window to window; dropout is off. The model's state is reset
    /// before and after.
    /// </summary>
    /// <exception cref="ArgumentException">The corpus is shorter than one window.</exception>
    public static double Perplexity(Rnnlm model, int[] corpus, int batchSize = 10, int timeSteps = 35)
    {
        double total = 0;
        int windows = ForEachWindow(model, corpus, batchSize, timeSteps, (xs, ts) => total += model.Forward(xs, ts, batchSize, timeSteps, training: false));
        return Math.Exp(total / windows);
    }

    /// <summary>
    /// The fraction of positions whose target satisfies <paramref name="counted"/> where the model's most likely next
    /// token is the target, over the windows of <see cref="Perplexity"/>. NaN when no position counts.
    /// </summary>
    /// <exception cref="ArgumentException">The corpus is shorter than one window.</exception>
    public static double Accuracy(Rnnlm model, int[] corpus, Func<int, bool> counted, int batchSize = 10, int timeSteps = 35)
    {
        int right = 0, total = 0, V = model.Config.VocabularySize;
        ForEachWindow(model, corpus, batchSize, timeSteps, (xs, ts) =>
        {
            var scores = model.Predict(xs, batchSize, timeSteps).Span;
            for (int p = 0; p < ts.Length; p++)
            {
                if (!counted(ts[p]))
                    continue;
                total++;
                if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores.Slice(p * V, V)) == ts[p])
                    right++;
            }
        });
        return total == 0 ? double.NaN : (double)right / total;
    }

    private static int ForEachWindow(Rnnlm model, int[] corpus, int N, int T, Action<int[], int[]> evaluate)
    {
        int size = corpus.Length;
        int windows = (size - 1) / (N * T), jump = (size - 1) / N;
        if (windows < 1)
            throw new ArgumentException($"The corpus has {size} tokens; evaluation with N={N}, T={T} needs at least {N * T + 1}.", nameof(corpus));
        var xs = new int[N * T];
        var ts = new int[N * T];
        model.ResetState();
        for (int k = 0; k < windows; k++)
        {
            for (int t = 0; t < T; t++)
            {
                for (int i = 0; i < N; i++)
                {
                    int offset = k * T + i * jump + t;
                    xs[i * T + t] = corpus[offset % size];
                    ts[i * T + t] = corpus[(offset + 1) % size];
                }
            }
            evaluate(xs, ts);
        }
        model.ResetState();
        return windows;
    }
}
