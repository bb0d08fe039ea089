using Lstm.Data;
using Lstm.Layers;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Tests.Examples;

public sealed class CharacterModelExample : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lstm-chars-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void CharacterLanguageModel_LearnsTheTextAndSamplesFromIt()
    {
        string path = Path.Combine(_dir, "input.txt");
        File.WriteAllText(path, Sentences(60_000));

        // example begin
        var text = File.ReadAllText(path);
        var vocabulary = new Vocabulary();
        int[] ids = Corpus.Characters(text, vocabulary, grow: true); // every character a token, line ends too
        int split = ids.Length * 9 / 10, V = vocabulary.Count;    // the last tenth held out

        var parameters = new ParameterSet();
        var random = new RandomSource(1);
        var model = new SequentialModel(new Sequential(
                TimeEmbedding.Create(parameters, "embed", V, 32, random),
                TimeLSTM.Create(parameters, "lstm", 32, 128, random, stateful: true),
                TimeAffine.Create(parameters, "affine", 128, V, random)),
            new TimeSoftmaxWithLoss(), parameters, random);

        var trainer = new Trainer(model, new Adam(0.01f), new TrainerOptions(BatchSize: 32, TimeSteps: 64, MaxGradNorm: 1f));
        trainer.Fit(ids[..split], epochs: 10);
        double bits = Math.Log2(Evaluation.Perplexity(model, ids[split..]));
        Console.WriteLine($"held-out bits per character: {bits:F2}");

        var prompt = Corpus.Characters("the ", vocabulary, grow: false);
        var sample = TextGenerator.Generate(model, prompt, 200, new SamplingOptions(Temperature: 0.7f), new RandomSource(2));
        Console.WriteLine("the " + string.Concat(sample.Select(id => vocabulary[id])));
        // example end

        // The baseline is the characters' own entropy (a model that knows their frequencies and nothing else).
        double unigram = -ids.GroupBy(id => id).Sum(g => (double)g.Count() / ids.Length * Math.Log2((double)g.Count() / ids.Length));
        Assert.True(bits < 0.25 * unigram, $"held-out {bits:F2} bits per character should be well under the unigram entropy {unigram:F2}");
    }

    /// <summary>English-like text from a small grammar: a subject, a verb, an object, sometimes a clause.</summary>
    internal static string Sentences(int length)
    {
        string[] subjects = ["the cat", "a dog", "the old man", "my sister", "the king", "a small bird", "the teacher"];
        string[] verbs = ["sees", "likes", "follows", "finds", "calls", "watches", "remembers"];
        string[] objects = ["the river", "a red house", "the garden", "his friend", "the morning light", "a quiet street"];
        string[] clauses = ["and then it rains", "but nobody knows why", "while the bells ring", "because it is late"];
        var random = new RandomSource(11);
        var text = new System.Text.StringBuilder();
        while (text.Length < length)
        {
            text.Append(subjects[random.NextInt(subjects.Length)]).Append(' ').Append(verbs[random.NextInt(verbs.Length)])
                .Append(' ').Append(objects[random.NextInt(objects.Length)]);
            if (random.NextInt(3) == 0)
                text.Append(' ').Append(clauses[random.NextInt(clauses.Length)]);
            text.Append(random.NextInt(4) == 0 ? ".\n" : ". ");
        }
        return text.ToString();
    }
}
