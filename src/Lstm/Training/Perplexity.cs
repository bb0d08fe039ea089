using Lstm.Models;

namespace Lstm.Training;

/// <summary>The book's perplexity evaluation (<c>eval_perplexity</c>).</summary>
public static class Perplexity
{
    /// <summary>
    /// exp(mean loss) over (len − 1) / (N·T) windows: window k, row i reads from k·T + i·jump with
    /// jump = (len − 1) / N; the state carries from window to window; dropout is off. The model's state is
    /// reset before and after.
    /// </summary>
    /// <exception cref="ArgumentException">The corpus is shorter than one window.</exception>
    public static double Evaluate(Rnnlm model, int[] corpus, int batchSize = 10, int timeSteps = 35, Action<int, int>? progress = null)
    {
        int N = batchSize, T = timeSteps, size = corpus.Length;
        int windows = (size - 1) / (N * T), jump = (size - 1) / N;
        if (windows < 1)
            throw new ArgumentException($"The corpus has {size} tokens; evaluation with N={N}, T={T} needs at least {N * T + 1}.", nameof(corpus));
        var xs = new int[N * T];
        var ts = new int[N * T];
        double total = 0;
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
            total += model.Forward(xs, ts, N, T, training: false);
            progress?.Invoke(k + 1, windows);
        }
        model.ResetState();
        return Math.Exp(total / windows);
    }
}
