namespace Lstm.Data;

/// <summary>What a token is: a word (whitespace-separated, <c>&lt;eos&gt;</c> at line ends) or a character.</summary>
public enum TokenLevel
{
    /// <summary>Words, as Penn Treebank: split on whitespace, <c>&lt;eos&gt;</c> at the end of every line.</summary>
    Word,

    /// <summary>Characters: every Unicode character a token, spaces and line ends included.</summary>
    Character,
}

/// <summary>Tokens (words, or characters) and their ids, ids given in order of first appearance (as the book's PTB loader).</summary>
public sealed class Vocabulary
{
    /// <summary>The end-of-sentence token appended at each line end.</summary>
    public const string EndOfSentence = "<eos>";

    /// <summary>The token PTB uses for rare words; unknown words map to it when the vocabulary has it.</summary>
    public const string Unknown = "<unk>";

    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _words = [];

    /// <summary>An empty vocabulary.</summary>
    public Vocabulary()
    {
    }

    /// <summary>A vocabulary of <paramref name="words"/>, id i for the i-th word.</summary>
    /// <exception cref="ArgumentException">A word is empty or repeats.</exception>
    public Vocabulary(IEnumerable<string> words)
    {
        foreach (string word in words)
        {
            if (string.IsNullOrEmpty(word))
                throw new ArgumentException($"Vocabulary word {_words.Count} is empty.", nameof(words));
            if (!_ids.TryAdd(word, _words.Count))
                throw new ArgumentException($"The word '{word}' appears twice in the vocabulary.", nameof(words));
            _words.Add(word);
        }
    }

    /// <summary>Whether the tokens are words or characters; text is split into tokens accordingly.</summary>
    public TokenLevel Level { get; init; }

    /// <summary>The number of words.</summary>
    public int Count => _words.Count;

    /// <summary>The words, in id order.</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>The id of <paramref name="word"/>, adding it when new.</summary>
    /// <exception cref="ArgumentException">The word is empty.</exception>
    public int GetOrAdd(string word)
    {
        ArgumentException.ThrowIfNullOrEmpty(word);
        if (!_ids.TryGetValue(word, out int id))
        {
            id = _words.Count;
            _ids.Add(word, id);
            _words.Add(word);
        }
        return id;
    }

    /// <summary>The id of <paramref name="word"/>, if it is in the vocabulary.</summary>
    public bool TryGetId(string word, out int id) => _ids.TryGetValue(word, out id);

    /// <summary>The word with id <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside [0, Count).</exception>
    public string this[int id] => (uint)id < (uint)_words.Count
        ? _words[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is outside the vocabulary [0, {_words.Count}).");
}
