using Lstm.Data;

namespace Lstm.Tests.Data;

public class CorpusTests
{
    [Fact]
    public void Parse_GivesIdsInOrderOfFirstAppearanceWithEosAtLineEnds()
    {
        var vocabulary = new Vocabulary();
        var ids = Corpus.Parse([" the cat sat ", " the  dog\tsat "], vocabulary, grow: true);
        Assert.Equal([0, 1, 2, 3, 0, 4, 2, 3], ids);
        Assert.Equal(["the", "cat", "sat", "<eos>", "dog"], vocabulary.Words);
    }

    [Fact]
    public void Characters_EveryCharacterIsATokenWhitespaceIncluded()
    {
        var vocabulary = new Vocabulary();
        var ids = Corpus.Characters("ab a\n\U0001F600b", vocabulary, grow: true);
        Assert.Equal([0, 1, 2, 0, 3, 4, 1], ids);
        Assert.Equal(["a", "b", " ", "\n", "\U0001F600"], vocabulary.Words); // a character outside the BMP is one token
        Assert.Equal([1, 0, 2], Corpus.Characters("ba ", vocabulary, grow: false));
    }

    [Fact]
    public void Characters_UnknownCharacter_MapsToUnkOrNamesTheCharacterAndItsPosition()
    {
        Assert.Equal([0, 1], Corpus.Characters("az", new Vocabulary(["a", "<unk>"]), grow: false));
        var e = Assert.Throws<InvalidDataException>(() => Corpus.Characters("aaz", new Vocabulary(["a"]), grow: false, "input.txt"));
        Assert.Contains("input.txt, character 2: 'z'", e.Message);
        Assert.Throws<InvalidDataException>(() => Corpus.Characters("", new Vocabulary(), grow: true));
    }

    [Fact]
    public void Load_SingleFile_HoldsOutItsLastLinesForValidationAndTest()
    {
        string dir = Directory.CreateTempSubdirectory("lstm-split-").FullName;
        try
        {
            string path = Path.Combine(dir, "text.txt");
            File.WriteAllLines(path, Enumerable.Range(0, 100).Select(i => $"line {i}"));
            var data = TextDataset.Load(path);
            Assert.Equal(90 * 3, data.Train.Length); // "line", the number, <eos>
            Assert.Equal(5 * 3, data.Validation!.Length);
            Assert.Equal(5 * 3, data.Test!.Length);
            Assert.Equal("95", data.Vocabulary[data.Test[1]]); // the last lines, in order, with ids of their own
            Assert.Null(TextDataset.Load(path, heldOut: 0).Validation);

            var characters = TextDataset.Load(path, TokenLevel.Character);
            Assert.Equal(TokenLevel.Character, characters.Vocabulary.Level);
            Assert.Equal("line 95\n", string.Concat(characters.Test![..8].Select(id => characters.Vocabulary[id])));

            File.WriteAllLines(path, ["one line", "two"]);
            Assert.Contains("too few", Assert.Throws<InvalidDataException>(() => TextDataset.Load(path)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void WithVocabularyLimit_RareAndLeastFrequentWordsBecomeUnk()
    {
        var vocabulary = new Vocabulary();
        var train = Corpus.Parse(["a b a c a b", "d"], vocabulary, grow: true);   // a ×3, b ×2, c, d, <eos> ×2
        var valid = Corpus.Parse(["c a"], vocabulary, grow: false);
        var data = new TextDataset(vocabulary, train, valid, null);

        var rare = data.WithVocabularyLimit(minCount: 2, maxSize: 0);
        Assert.Equal(["a", "b", "<unk>", "<eos>"], rare.Vocabulary.Words); // <unk> where c first appeared
        Assert.Equal([0, 1, 0, 2, 0, 1, 3, 2, 3], rare.Train);
        Assert.Equal([2, 0, 3], rare.Validation!);

        var bounded = data.WithVocabularyLimit(minCount: 1, maxSize: 3);  // the two most frequent (b before <eos>: seen first) and <unk>
        Assert.Equal(["a", "b", "<unk>"], bounded.Vocabulary.Words);
        Assert.Same(data, data.WithVocabularyLimit(minCount: 1, maxSize: 10));
        Assert.Contains("--min-count", Assert.Throws<InvalidDataException>(() => Corpus.Parse(["zebra"], vocabulary, grow: false)).Message);
    }

    [Fact]
    public void Parse_FixedVocabulary_MapsUnknownWordsToUnk()
    {
        var vocabulary = new Vocabulary(["a", "<unk>", "<eos>"]);
        Assert.Equal([0, 1, 2], Corpus.Parse(["a zebra"], vocabulary, grow: false));
    }

    [Fact]
    public void Parse_FixedVocabularyWithoutUnk_NamesTheWordAndLine()
    {
        var vocabulary = new Vocabulary(["a", "<eos>"]);
        var e = Assert.Throws<InvalidDataException>(() => Corpus.Parse(["a", "a zebra"], vocabulary, grow: false, "valid.txt"));
        Assert.Contains("'zebra'", e.Message);
        Assert.Contains("line 2", e.Message);
    }

    [Fact]
    public void Read_MissingOrEmptyFile_SaysSo()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            Assert.Throws<FileNotFoundException>(() => TextDataset.Load(Path.Combine(dir, "none.txt")));
            Assert.Throws<FileNotFoundException>(() => TextDataset.Load(dir)); // a folder without ptb.train.txt
            string empty = Path.Combine(dir, "empty.txt");
            File.WriteAllText(empty, "  \n\n");
            Assert.Contains("no words", Assert.Throws<InvalidDataException>(() => TextDataset.Load(empty)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Load_PtbFolder_BuildsTheVocabularyFromTrainOnly()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "ptb.train.txt"), " a b <unk> \n b c \n");
            File.WriteAllText(Path.Combine(dir, "ptb.valid.txt"), " c zebra \n");
            var data = TextDataset.Load(dir);
            Assert.Equal(5, data.Vocabulary.Count); // a b <unk> <eos> c
            Assert.Equal([0, 1, 2, 3, 1, 4, 3], data.Train);
            Assert.Equal([4, 2, 3], data.Validation!);
            Assert.Null(data.Test);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
