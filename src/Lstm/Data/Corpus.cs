namespace Lstm.Data;

/// <summary>
/// Turns text into token ids: words in the Penn Treebank format (whitespace-separated words, <c>&lt;eos&gt;</c> at the
/// end of every line, the book's <c>ptb.load_data</c>), or characters.
/// </summary>
public static class Corpus
{
    /// <summary>
    /// The ids of the tokens of <paramref name="path"/>, words or characters as the vocabulary's <see cref="Vocabulary.Level"/>
    /// says. With <paramref name="grow"/>, new tokens are added to the vocabulary; otherwise they map to
    /// <c>&lt;unk&gt;</c> when the vocabulary has it, and are an error when not.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file has no tokens, or a token is not in a fixed vocabulary without &lt;unk&gt;.</exception>
    public static int[] Read(string path, Vocabulary vocabulary, bool grow)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Corpus file not found: {path}", path);
        return Tokenize(File.ReadLines(path), vocabulary, grow, path);
    }

    /// <summary>The ids of <paramref name="lines"/> at the vocabulary's level: words (<see cref="Parse"/>) or characters, each line ending in "\n".</summary>
    /// <exception cref="InvalidDataException">There are no tokens, or a token is not in a fixed vocabulary without &lt;unk&gt;.</exception>
    public static int[] Tokenize(IEnumerable<string> lines, Vocabulary vocabulary, bool grow, string source = "text") =>
        vocabulary.Level == TokenLevel.Character
            ? Characters(string.Concat(lines.Select(line => line + "\n")), vocabulary, grow, source)
            : Parse(lines, vocabulary, grow, source);

    /// <summary>The ids of the words of <paramref name="lines"/>, as <see cref="Read"/>; <paramref name="source"/> names them in errors.</summary>
    /// <exception cref="InvalidDataException">There are no words, or a word is not in a fixed vocabulary without &lt;unk&gt;.</exception>
    public static int[] Parse(IEnumerable<string> lines, Vocabulary vocabulary, bool grow, string source = "text")
    {
        var ids = new List<int>();
        int words = 0, lineNumber = 0;
        foreach (string line in lines)
        {
            lineNumber++;
            foreach (string word in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                ids.Add(Id(word, vocabulary, grow, () => $"{source}, line {lineNumber}: the word '{word}'"));
                words++;
            }
            ids.Add(grow ? vocabulary.GetOrAdd(Vocabulary.EndOfSentence) : EndOfSentenceId(vocabulary, source));
        }
        if (words == 0)
            throw new InvalidDataException($"{source} has no words.");
        return [.. ids];
    }

    /// <summary>
    /// The ids of the characters of <paramref name="text"/>: every Unicode character a token, spaces and line ends
    /// included. With <paramref name="grow"/>, new characters are added to the vocabulary; otherwise they map to
    /// <c>&lt;unk&gt;</c> when the vocabulary has it, and are an error when not.
    /// </summary>
    /// <exception cref="InvalidDataException">The text is empty, or a character is not in a fixed vocabulary without &lt;unk&gt;.</exception>
    public static int[] Characters(string text, Vocabulary vocabulary, bool grow, string source = "text")
    {
        if (text.Length == 0)
            throw new InvalidDataException($"{source} has no characters.");
        var ids = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            string character = rune.ToString();
            ids.Add(Id(character, vocabulary, grow, () => $"{source}, character {ids.Count}: '{character}'"));
        }
        return [.. ids];
    }

    /// <summary>The token's id: added when growing, else looked up, else &lt;unk&gt; when the vocabulary has it.</summary>
    private static int Id(string token, Vocabulary vocabulary, bool grow, Func<string> where)
    {
        if (grow)
            return vocabulary.GetOrAdd(token);
        if (vocabulary.TryGetId(token, out int id) || vocabulary.TryGetId(Vocabulary.Unknown, out id))
            return id;
        throw new InvalidDataException($"{where()} is not in the vocabulary, which has no {Vocabulary.Unknown} (a vocabulary limit, --min-count or --max-vocab, gives it one).");
    }

    private static int EndOfSentenceId(Vocabulary vocabulary, string source) =>
        vocabulary.TryGetId(Vocabulary.EndOfSentence, out int id)
            ? id
            : throw new InvalidDataException($"{source}: the vocabulary has no {Vocabulary.EndOfSentence} for line ends.");
}

/// <summary>A training corpus with its vocabulary, and the validation and test corpora when there are any.</summary>
/// <param name="Vocabulary">Ids in order of first appearance: of the training file in a folder, of the whole file for a single file.</param>
/// <param name="Train">Training ids.</param>
/// <param name="Validation">Validation ids, or null.</param>
/// <param name="Test">Test ids, or null.</param>
public sealed record TextDataset(Vocabulary Vocabulary, int[] Train, int[]? Validation, int[]? Test)
{
    /// <summary>
    /// A folder with <c>ptb.train.txt</c> (and optionally <c>ptb.valid.txt</c>, <c>ptb.test.txt</c>), or a single
    /// text file whose last <paramref name="heldOut"/> of lines are held out, half for validation and half for testing
    /// (0: all for training). Tokens are words or characters as <paramref name="level"/> says.
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither a file nor a folder with ptb.train.txt is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">A file is empty, has words outside the training vocabulary, or is too short to hold lines out.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The held-out fraction is not in [0, 1).</exception>
    public static TextDataset Load(string path, TokenLevel level = TokenLevel.Word, double heldOut = 0.1)
    {
        if (!(heldOut >= 0 && heldOut < 1))
            throw new ArgumentOutOfRangeException(nameof(heldOut), heldOut, "The held-out fraction must be in [0, 1).");
        var vocabulary = new Vocabulary { Level = level };
        if (File.Exists(path))
        {
            var lines = File.ReadAllLines(path);
            if (lines.All(string.IsNullOrWhiteSpace))
                throw new InvalidDataException($"{path} has no words.");
            int held = (int)Math.Round(lines.Length * heldOut);
            if (heldOut == 0)
                return new TextDataset(vocabulary, Corpus.Tokenize(lines, vocabulary, grow: true, path), null, null);
            if (held < 2 || held >= lines.Length)
                throw new InvalidDataException($"{path} has {lines.Length} lines: too few to hold {heldOut:P0} of them out (a held-out fraction of 0 trains on all).");
            // The vocabulary covers the whole file, so held-out words have ids; the text is split by lines.
            var trainingIds = Corpus.Tokenize(lines[..^held], vocabulary, grow: true, path);
            var validationIds = Corpus.Tokenize(lines[^held..^(held / 2)], vocabulary, grow: true, path);
            var testIds = Corpus.Tokenize(lines[^(held / 2)..], vocabulary, grow: true, path);
            return new TextDataset(vocabulary, trainingIds, validationIds, testIds);
        }
        if (!Directory.Exists(path))
            throw new FileNotFoundException($"No corpus file or folder at {path}.", path);
        string train = Path.Combine(path, "ptb.train.txt");
        if (!File.Exists(train))
            throw new FileNotFoundException($"The folder {path} has no ptb.train.txt.", train);
        var trainIds = Corpus.Read(train, vocabulary, grow: true);
        int[]? Optional(string name)
        {
            string file = Path.Combine(path, name);
            return File.Exists(file) ? Corpus.Read(file, vocabulary, grow: false) : null;
        }
        return new TextDataset(vocabulary, trainIds, Optional("ptb.valid.txt"), Optional("ptb.test.txt"));
    }

    /// <summary>
    /// The same text over a smaller vocabulary: the tokens seen at least <paramref name="minCount"/> times in training,
    /// at most <paramref name="maxSize"/> of them (0: no bound; the most frequent, ties to the first seen), the others all
    /// <c>&lt;unk&gt;</c>, which takes the place of the first token it replaces. Ids keep the order of first appearance.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minCount"/> is below 1 or <paramref name="maxSize"/> below 0.</exception>
    public TextDataset WithVocabularyLimit(int minCount, int maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        var counts = new int[Vocabulary.Count];
        foreach (int id in Train)
            counts[id]++;
        bool hasUnknown = Vocabulary.TryGetId(Vocabulary.Unknown, out int unknownId);
        var frequent = Enumerable.Range(0, counts.Length)
            .Where(id => counts[id] >= minCount && !(hasUnknown && id == unknownId))
            .OrderByDescending(id => counts[id]).ThenBy(id => id)
            .ToList();
        int others = counts.Length - (hasUnknown ? 1 : 0);
        if (frequent.Count == others && (maxSize == 0 || counts.Length <= maxSize))
            return this;
        // Some tokens become <unk>: it takes one place of the bound.
        var ranked = frequent.Take(maxSize > 0 ? maxSize - 1 : int.MaxValue).ToHashSet();
        var limited = new Vocabulary { Level = Vocabulary.Level };
        var map = new int[counts.Length];
        int unknown = -1;
        for (int id = 0; id < counts.Length; id++)
        {
            if (ranked.Contains(id))
                map[id] = limited.GetOrAdd(Vocabulary[id]);
            else
                map[id] = unknown = unknown >= 0 ? unknown : limited.GetOrAdd(Vocabulary.Unknown);
        }
        int[]? Remap(int[]? ids) => ids is null ? null : [.. ids.Select(id => map[id])];
        return new TextDataset(limited, Remap(Train)!, Remap(Validation), Remap(Test));
    }
}
