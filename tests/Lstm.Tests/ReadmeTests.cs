using Lstm.Data;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Tests;

public class ReadmeTests
{
    [Fact]
    public void LibraryExample_IsTheCodeThisTestRuns()
    {
        string root = RepositoryRoot();
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        int start = readme.IndexOf("```csharp\n", readme.IndexOf("## The library", StringComparison.Ordinal), StringComparison.Ordinal) + 10;
        string example = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];

        string source = File.ReadAllText(Path.Combine(root, "tests", "Lstm.Tests", "ReadmeTests.cs"));
        const string indent = "            ";
        int begin = source.IndexOf("\n" + indent + "// README example begin", StringComparison.Ordinal) + 1;
        var lines = source[begin..(source.IndexOf("\n" + indent + "// README example end", begin, StringComparison.Ordinal) + 1)]
            .Split('\n')
            .Skip(1)
            .Select(line => line.StartsWith(indent, StringComparison.Ordinal) ? line[indent.Length..] : line.Trim());
        string usings = "using Lstm.Data;\nusing Lstm.Models;\nusing Lstm.Training;\n\n";
        Assert.Equal(usings + string.Join('\n', lines), example);
    }

    [Fact]
    public void LibraryExample_Runs()
    {
        string saved = Environment.CurrentDirectory;
        string dir = Directory.CreateTempSubdirectory("lstm-readme-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "ptb"));
            var vocabulary = SyntheticLanguage.CreateVocabulary();
            foreach (var (file, seed) in new[] { ("ptb.train.txt", 1UL), ("ptb.valid.txt", 2UL), ("ptb.test.txt", 3UL) })
            {
                var words = SyntheticLanguage.Generate(file == "ptb.train.txt" ? 3000 : 800, seed).Select(id => vocabulary[id]);
                File.WriteAllText(Path.Combine(dir, "ptb", file), string.Join(' ', words).Replace(" <eos> ", "\n", StringComparison.Ordinal));
            }
            Environment.CurrentDirectory = dir;

            // README example begin
            var data = TextDataset.Load("ptb");                                   // vocabulary + train/valid/test ids
            var model = new Rnnlm(new RnnlmConfig(data.Vocabulary.Count), seed: 1); // the book's Rnnlm
            var trainer = new Trainer(model, new Sgd(20f), new TrainerOptions());  // N=20, T=35, clip 0.25
            trainer.Fit(data.Train, epochs: 4, validation: data.Validation);
            Console.WriteLine(Evaluation.Perplexity(model, data.Test!));
            // README example end

            Assert.InRange(Evaluation.Perplexity(model, data.Test!), 1.0, data.Vocabulary.Count);
        }
        finally
        {
            Environment.CurrentDirectory = saved;
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lstm.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("The repository root (with Lstm.sln) is not above the test binaries.");
    }
}
