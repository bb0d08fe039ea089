namespace Lstm.Data;

/// <summary>
/// A small generated language with long-range dependencies, the default corpus of <c>lstm train</c>: it needs no
/// download and shows what an LSTM does that a plain RNN cannot.
/// </summary>
/// <remarks>
/// <para>Each sentence opens one of six brackets, <c>(1</c> … <c>(6</c>, runs through 4 to 14 filler words drawn from a
/// fixed Markov chain (each filler has two possible successors), then says <c>so</c> and closes the bracket it
/// opened: <c>(3 w07 w12 w02 … so 3) &lt;eos&gt;</c>.</para>
/// <para>The closing word is decided by the opening word 6 to 16 steps earlier and by nothing in between: a model that
/// predicts it after <c>so</c> must have carried the bracket across the whole sentence. Those are the long-range
/// positions (<see cref="IsLongRangeTarget"/>); guessing gets 1 in 6 of them.</para>
/// </remarks>
public static class SyntheticLanguage
{
    private const int Brackets = 6, Fillers = 16, MinFillers = 4, MaxFillers = 14;

    /// <summary>The words, ids fixed: openers, closers, fillers, <c>so</c>, <c>&lt;eos&gt;</c>.</summary>
    public static Vocabulary CreateVocabulary() => new(
        Enumerable.Range(1, Brackets).Select(k => $"({k}")
            .Concat(Enumerable.Range(1, Brackets).Select(k => $"{k})"))
            .Concat(Enumerable.Range(0, Fillers).Select(i => $"w{i:D2}"))
            .Append("so")
            .Append(Vocabulary.EndOfSentence));

    /// <summary>Whether <paramref name="id"/> is a closing bracket: the target of a long-range position.</summary>
    public static bool IsLongRangeTarget(int id) => id >= Brackets && id < 2 * Brackets;

    /// <summary>At least <paramref name="tokens"/> ids of whole sentences, the same for the same seed.</summary>
    /// <exception cref="ArgumentOutOfRangeException">tokens is not positive.</exception>
    public static int[] Generate(int tokens, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        // The grammar (each filler's successors) is fixed; the seed only picks the sentences.
        var grammar = new RandomSource(20_26);
        var successors = new int[Fillers, 2];
        for (int w = 0; w < Fillers; w++)
        {
            for (int s = 0; s < 2; s++)
                successors[w, s] = grammar.NextInt(Fillers);
        }

        const int filler0 = 2 * Brackets, so = filler0 + Fillers, eos = so + 1;
        var random = new RandomSource(seed);
        var ids = new List<int>(tokens + MaxFillers + 4);
        while (ids.Count < tokens)
        {
            int bracket = random.NextInt(Brackets);
            ids.Add(bracket);
            int word = random.NextInt(Fillers);
            int length = MinFillers + random.NextInt(MaxFillers - MinFillers + 1);
            for (int i = 0; i < length; i++)
            {
                ids.Add(filler0 + word);
                word = successors[word, random.NextInt(2)];
            }
            ids.Add(so);
            ids.Add(Brackets + bracket);
            ids.Add(eos);
        }
        return [.. ids];
    }
}
