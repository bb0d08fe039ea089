using System.Numerics.Tensors;
using Lstm.Layers;
using Lstm.Models;

namespace Lstm.Training;

/// <summary>
/// Measures of a model over one pass of a batch source, dropout off: mean loss, perplexity (the book's
/// <c>eval_perplexity</c>), accuracy and mean squared error. The model's recurrent state is reset before and after.
/// </summary>
public static class Evaluation
{
    /// <summary>The model's mean loss over one pass of <paramref name="batches"/>, each batch weighted by its sequences.</summary>
    public static double MeanLoss(Model model, IBatchSource batches)
    {
        double total = 0;
        long sequences = 0;
        ForEachBatch(model, batches, (inputs, targets, shape) =>
        {
            total += (double)model.Forward(inputs, targets, shape, training: false) * shape.BatchSize;
            sequences += shape.BatchSize;
        });
        return total / sequences;
    }

    /// <summary>
    /// The book's perplexity, exp(mean loss) over the (len − 1) / (N·T) windows of <see cref="TruncatedBpttBatches"/>
    /// (N = 10, T = 35 as in the book), the state carried from window to window.
    /// </summary>
    /// <exception cref="ArgumentException">The corpus is shorter than one window.</exception>
    public static double Perplexity(Model model, int[] corpus, int batchSize = 10, int timeSteps = 35)
        => Math.Exp(MeanLoss(model, new TruncatedBpttBatches(corpus, batchSize, timeSteps)));

    /// <summary>
    /// The fraction of positions whose most likely output class is the target, over targets that are labels (one per
    /// output row; −1 and those <paramref name="counted"/> rejects are skipped). NaN when no position counts.
    /// </summary>
    public static double Accuracy(Model model, IBatchSource batches, Func<int, bool>? counted = null)
    {
        long right = 0, total = 0;
        int classes = model.OutputSize;
        ForEachBatch(model, batches, (inputs, targets, shape) =>
        {
            var scores = model.Predict(inputs, shape).Span;
            var labels = targets.Span;
            if (scores.Length != labels.Length * classes)
                throw new ArgumentException($"Accuracy needs one label per output row; got {labels.Length} labels for {scores.Length / classes} rows.", nameof(batches));
            for (int p = 0; p < labels.Length; p++)
            {
                int label = (int)labels[p];
                if (label == TimeSoftmaxWithLoss.IgnoreLabel || (counted is not null && !counted(label)))
                    continue;
                total++;
                if (TensorPrimitives.IndexOfMax(scores.Slice(p * classes, classes)) == label)
                    right++;
            }
        });
        return total == 0 ? double.NaN : (double)right / total;
    }

    /// <summary>Next-token accuracy over the windows of <see cref="Perplexity"/>, at the targets <paramref name="counted"/> accepts.</summary>
    /// <exception cref="ArgumentException">The corpus is shorter than one window.</exception>
    public static double Accuracy(Model model, int[] corpus, Func<int, bool> counted, int batchSize = 10, int timeSteps = 35)
        => Accuracy(model, new TruncatedBpttBatches(corpus, batchSize, timeSteps), counted);

    /// <summary>The mean of (prediction − target)² over every output value, whatever the model's loss.</summary>
    public static double MeanSquaredError(Model model, IBatchSource batches)
    {
        double total = 0;
        long count = 0;
        ForEachBatch(model, batches, (inputs, targets, shape) =>
        {
            var y = model.Predict(inputs, shape).Span;
            var t = targets.Span;
            if (y.Length != t.Length)
                throw new ArgumentException($"MeanSquaredError needs one target per output value; got {t.Length} for {y.Length}.", nameof(batches));
            for (int i = 0; i < y.Length; i++)
                total += ((double)y[i] - t[i]) * ((double)y[i] - t[i]);
            count += y.Length;
        });
        return total / count;
    }

    /// <summary>
    /// The book's <c>eval_seq2seq</c>: the fraction of questions [count, Tq] whose greedily decoded answer, from the
    /// start symbol (the first character of every answer [count, Ta]), equals the whole rest of the answer.
    /// </summary>
    /// <exception cref="ArgumentException">The questions and answers do not hold the same number of examples.</exception>
    public static double ExactMatch(EncoderDecoder model, float[] questions, int questionLength, float[] answers, int answerLength, int batchSize = 100)
    {
        int count = answers.Length / answerLength;
        if (questions.Length != count * questionLength || answers.Length != count * answerLength)
            throw new ArgumentException($"{questions.Length / questionLength} questions of {questionLength} and {answers.Length / answerLength} answers of {answerLength}: not the same examples.", nameof(answers));
        int right = 0, length = answerLength - 1;
        for (int first = 0; first < count; first += batchSize)
        {
            int n = Math.Min(batchSize, count - first);
            var ids = model.Generate(questions.AsSpan(first * questionLength, n * questionLength), new SequenceShape(n, questionLength), (int)answers[first * answerLength], length);
            for (int e = 0; e < n; e++)
            {
                bool same = true;
                for (int t = 0; t < length && same; t++)
                    same = ids[e * length + t] == (int)answers[(first + e) * answerLength + 1 + t];
                if (same)
                    right++;
            }
        }
        model.ResetState();
        return (double)right / count;
    }

    private static void ForEachBatch(Model model, IBatchSource batches, Action<ReadOnlyMemory<float>, ReadOnlyMemory<float>, SequenceShape> evaluate)
    {
        var inputs = new float[batches.InputLength];
        var targets = new float[batches.TargetLength];
        int perSequenceIn = batches.InputLength / batches.Shape.BatchSize, perSequenceOut = batches.TargetLength / batches.Shape.BatchSize;
        long saved = batches.Position;
        batches.Position = 0;
        model.ResetState();
        try
        {
            for (int b = 0; b < batches.BatchesPerEpoch; b++)
            {
                var shape = batches.Next(inputs, targets);
                evaluate(inputs.AsMemory(0, shape.BatchSize * perSequenceIn), targets.AsMemory(0, shape.BatchSize * perSequenceOut), shape);
            }
        }
        finally
        {
            batches.Position = saved;
            model.ResetState();
        }
    }
}
