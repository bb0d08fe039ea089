using Lstm.Models;

namespace Lstm.Training;

/// <summary>The optimizers a <see cref="Recipe"/> can name.</summary>
public enum OptimizerKind
{
    /// <summary><see cref="Training.Sgd"/>.</summary>
    Sgd,

    /// <summary><see cref="Training.Momentum"/>.</summary>
    Momentum,

    /// <summary><see cref="Training.Adam"/>.</summary>
    Adam,

    /// <summary><see cref="Training.AdamW"/>.</summary>
    AdamW,
}

/// <summary>
/// How a language model is trained: its shape, the optimizer and its learning rate, the trainer's settings and the
/// epochs. The book's recipes are here, so the command line, the benchmarks and a program of yours train alike.
/// </summary>
/// <param name="Model">The model's shape.</param>
/// <param name="Optimizer">The optimizer.</param>
/// <param name="LearningRate">Its learning rate.</param>
/// <param name="Options">Batching, clipping, learning-rate decay.</param>
/// <param name="Epochs">Epochs to train.</param>
public sealed record Recipe(RnnlmConfig Model, OptimizerKind Optimizer, float LearningRate, TrainerOptions Options, int Epochs)
{
    /// <summary>The book's <c>train_rnnlm.py</c>: D = H = 100, SGD lr 20, N = 20, T = 35, clip 0.25, 4 epochs.</summary>
    public static Recipe Rnnlm(int vocabularySize) =>
        new(new RnnlmConfig(vocabularySize), OptimizerKind.Sgd, 20f, new TrainerOptions(), Epochs: 4);

    /// <summary>
    /// The book's <c>train_better_rnnlm.py</c>: D = H = 650, 2 layers, dropout 0.5, tied weights, SGD lr 20, N = 20,
    /// T = 35, clip 0.25, 40 epochs; the learning rate ÷ 4 when validation perplexity stops improving, and the state
    /// reset after each validation.
    /// </summary>
    public static Recipe BetterRnnlm(int vocabularySize) =>
        new(RnnlmConfig.Better(vocabularySize), OptimizerKind.Sgd, 20f,
            new TrainerOptions(LearningRateDecay: 4f, ResetStateAfterValidation: true), Epochs: 40);

    /// <summary>
    /// The default corpus of <c>lstm train</c>, the generated bracket language: D = 32, H = 64, Adam lr 0.01, N = 20,
    /// T = 35, clip 1, 20 epochs.
    /// </summary>
    public static Recipe BracketLanguage(int vocabularySize, RecurrentCell cell) =>
        new(new RnnlmConfig(vocabularySize, 32, 64, Cell: cell), OptimizerKind.Adam, 0.01f,
            new TrainerOptions(MaxGradNorm: 1f, ReportInterval: 1000), Epochs: 20);

    /// <summary>The default learning rate of each optimizer: SGD 20 (the book's), Momentum 1, Adam and AdamW 0.001.</summary>
    public static float DefaultLearningRate(OptimizerKind optimizer) => optimizer switch
    {
        OptimizerKind.Sgd => 20f,
        OptimizerKind.Momentum => 1f,
        _ => 0.001f,
    };

    /// <summary>A new optimizer of the recipe's kind and learning rate.</summary>
    public Optimizer CreateOptimizer() => Optimizer switch
    {
        OptimizerKind.Momentum => new Momentum(LearningRate),
        OptimizerKind.Adam => new Adam(LearningRate),
        OptimizerKind.AdamW => new AdamW(LearningRate),
        _ => new Sgd(LearningRate),
    };
}
