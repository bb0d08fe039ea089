using Lstm.Data;

namespace Lstm.Tests.Data;

public class SyntheticLanguageTests
{
    [Fact]
    public void Generate_EverySentenceClosesTheBracketItOpened()
    {
        var vocabulary = SyntheticLanguage.CreateVocabulary();
        var ids = SyntheticLanguage.Generate(5000, seed: 3);
        Assert.True(ids.Length >= 5000);
        Assert.Equal(ids, SyntheticLanguage.Generate(5000, seed: 3));
        Assert.NotEqual(ids, SyntheticLanguage.Generate(5000, seed: 4));

        int sentences = 0;
        string? opener = null;
        int start = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            string word = vocabulary[ids[i]];
            if (word.StartsWith('('))
            {
                (opener, start) = (word, i);
            }
            else if (SyntheticLanguage.IsLongRangeTarget(ids[i]))
            {
                Assert.Equal(opener![1..] + ")", word);
                Assert.Equal("so", vocabulary[ids[i - 1]]);
                Assert.InRange(i - start, 6, 16);
                sentences++;
            }
        }
        Assert.True(sentences > 200);
    }
}
