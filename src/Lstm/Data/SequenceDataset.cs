namespace Lstm.Data;

/// <summary>
/// Question–answer pairs of characters in the book's <c>sequence.load_data</c> format (chapter 7's <c>addition.txt</c>,
/// <c>date.txt</c>): one example per line, the question before the first <c>_</c> and the answer from it (the
/// <c>_</c> is the decoder's start symbol), each padded with spaces to a fixed width in the file. Character ids in order
/// of first appearance, question then answer of each line, as the book gives them.
/// </summary>
/// <param name="Vocabulary">The characters.</param>
/// <param name="QuestionLength">Tq, characters per question.</param>
/// <param name="AnswerLength">Ta, characters per answer, the start symbol included.</param>
/// <param name="TrainQuestions">Training questions [count, Tq], ids as values.</param>
/// <param name="TrainAnswers">Training answers [count, Ta].</param>
/// <param name="TestQuestions">Test questions [count, Tq].</param>
/// <param name="TestAnswers">Test answers [count, Ta].</param>
public sealed record SequenceDataset(Vocabulary Vocabulary, int QuestionLength, int AnswerLength,
    float[] TrainQuestions, float[] TrainAnswers, float[] TestQuestions, float[] TestAnswers)
{
    /// <summary>The start symbol that begins every answer.</summary>
    public const string Start = "_";

    /// <summary>Training examples.</summary>
    public int TrainCount => TrainAnswers.Length / AnswerLength;

    /// <summary>Test examples.</summary>
    public int TestCount => TestAnswers.Length / AnswerLength;

    /// <summary>The id of <see cref="Start"/>.</summary>
    public int StartId => Vocabulary.TryGetId(Start, out int id) ? id : throw new InvalidOperationException("The vocabulary has no start symbol.");

    /// <summary>
    /// Reads <paramref name="path"/> and splits it: the examples in an order shuffled by <paramref name="seed"/>, the
    /// last <paramref name="testFraction"/> of them for testing (the book keeps its last 10%).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line has no <c>_</c>, or its question or answer is not as wide as the first line's.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is not in (0, 1).</exception>
    public static SequenceDataset Load(string path, double testFraction = 0.1, ulong seed = 1984)
    {
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must be in (0, 1).");
        if (!File.Exists(path))
            throw new FileNotFoundException($"Data file not found: {path}", path);
        var vocabulary = new Vocabulary();
        var questions = new List<int[]>();
        var answers = new List<int[]>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0)
                continue;
            int split = line.IndexOf('_', StringComparison.Ordinal);
            if (split < 1)
                throw new InvalidDataException($"{path}, line {lineNumber}: no question before a '_' (the start of the answer).");
            var question = Corpus.Characters(line[..split], vocabulary, grow: true, path);
            var answer = Corpus.Characters(line[split..], vocabulary, grow: true, path);
            if (questions.Count > 0 && (question.Length != questions[0].Length || answer.Length != answers[0].Length))
                throw new InvalidDataException($"{path}, line {lineNumber}: question and answer are {question.Length} and {answer.Length} characters; the first line's are {questions[0].Length} and {answers[0].Length} (pad them with spaces).");
            questions.Add(question);
            answers.Add(answer);
        }
        int count = questions.Count;
        int test = (int)Math.Round(count * testFraction);
        if (count < 2 || test < 1 || test >= count)
            throw new InvalidDataException($"{path} has {count} examples: too few to keep {testFraction:P0} for testing.");

        var order = new int[count];
        new RandomSource(seed).Permutation(order);
        float[] Flatten(IEnumerable<int> examples, List<int[]> rows) => [.. examples.SelectMany(e => rows[e]).Select(id => (float)id)];
        var trainOrder = order[..(count - test)];
        var testOrder = order[(count - test)..];
        return new SequenceDataset(vocabulary, questions[0].Length, answers[0].Length,
            Flatten(trainOrder, questions), Flatten(trainOrder, answers), Flatten(testOrder, questions), Flatten(testOrder, answers));
    }

    /// <summary>The characters of ids, as a string.</summary>
    public string Text(ReadOnlySpan<float> ids)
    {
        var text = new System.Text.StringBuilder();
        foreach (float id in ids)
            text.Append(Vocabulary[(int)id]);
        return text.ToString();
    }
}
