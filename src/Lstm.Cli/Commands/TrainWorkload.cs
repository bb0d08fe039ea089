using Lstm.Layers;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Cli.Commands;

/// <summary>The training workloads the library is measured on, each as one training iteration over synthetic data.</summary>
internal static class TrainWorkload
{
    /// <summary>
    /// One iteration of <paramref name="name"/> and the tokens it processes; for a W3 layer, <paramref name="padding"/>
    /// is the fraction of the batch that is padding (lengths falling evenly from T, sorted), and only real tokens count.
    /// </summary>
    public static (Action Step, int Tokens) Create(string name, double padding = 0)
    {
        if (name.StartsWith("W3-", StringComparison.Ordinal))
            return LstmLayer(int.Parse(name[3..], System.Globalization.CultureInfo.InvariantCulture), padding);
        return LanguageModel(name == "W1" ? Recipe.Rnnlm(10_000) : Recipe.BetterRnnlm(10_000));
    }

    /// <summary>The recipe's forward, backward, clipping and optimizer step, cycling over 8 random batches (as the PyTorch anchor).</summary>
    private static (Action, int) LanguageModel(Recipe recipe)
    {
        var config = recipe.Model;
        var model = new Rnnlm(config, seed: 1);
        var optimizer = recipe.CreateOptimizer();
        int batchSize = recipe.Options.BatchSize, timeSteps = recipe.Options.TimeSteps;
        var random = new RandomSource(42);
        int tokens = batchSize * timeSteps;
        var batches = Enumerable.Range(0, 8)
            .Select(_ => (Xs: RandomIds(random, tokens, config.VocabularySize), Ts: RandomIds(random, tokens, config.VocabularySize)))
            .ToArray();
        int next = 0;
        void Step()
        {
            var (xs, ts) = batches[next++ % batches.Length];
            model.Forward(xs, ts, batchSize, timeSteps);
            model.Parameters.ZeroGrad();
            model.Backward();
            GradientClipping.ClipByGlobalNorm(model.Parameters, recipe.Options.MaxGradNorm);
            optimizer.Step(model.Parameters);
        }
        return (Step, tokens);
    }

    /// <summary>One non-stateful TimeLSTM, N=32 T=64 D=H: forward and backward with random inputs and output gradients.</summary>
    private static (Action, int) LstmLayer(int size, double padding)
    {
        const int N = 32, T = 64;
        var set = new ParameterSet();
        var layer = new TimeLSTM(set.Add("Wx", size, 4 * size), set.Add("Wh", size, 4 * size), set.Add("b", 1, 4 * size), stateful: false);
        var shape = new SequenceShape(N, T);
        if (padding > 0)
            shape = shape with { Lengths = Enumerable.Range(0, N).Select(n => Math.Max(1, (int)Math.Round(T * (1 - 2 * padding * n / (N - 1))))).ToArray() };
        var random = new RandomSource(42);
        random.FillGaussian(set.Values, 1f / MathF.Sqrt(size));
        var xs = new float[N * T * size];
        var dhs = new float[N * T * size];
        random.FillGaussian(xs, 1f);
        random.FillGaussian(dhs, 1f);
        void Step()
        {
            set.ZeroGrad();
            layer.Forward(xs, shape, training: true);
            layer.Backward(dhs);
        }
        return (Step, Enumerable.Range(0, N).Sum(shape.Length));
    }

    private static int[] RandomIds(RandomSource random, int count, int vocabulary)
    {
        var ids = new int[count];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = random.NextInt(vocabulary);
        return ids;
    }
}
