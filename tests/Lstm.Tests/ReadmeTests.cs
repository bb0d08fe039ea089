using Lstm.Data;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Tests;

[Collection(nameof(ProcessState))]
public class ReadmeTests
{
    /// <summary>Every example region of the test files, as the README shows it: the file's Lstm usings, then the code.</summary>
    public static TheoryData<string> ExampleFiles() => new(Directory.GetFiles(Path.Combine(RepositoryRoot(), "tests", "Lstm.Tests"), "*.cs", SearchOption.AllDirectories)
        .Where(f => File.ReadAllText(f).Contains("// example begin", StringComparison.Ordinal))
        .Select(f => Path.GetRelativePath(RepositoryRoot(), f).Replace('\\', '/'))
        .Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(ExampleFiles))]
    public void Examples_AreInTheReadmeAsTheTestsRunThem(string file)
    {
        string root = RepositoryRoot();
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        string source = File.ReadAllText(Path.Combine(root, file));
        int begin = source.IndexOf("// example begin\n", StringComparison.Ordinal);
        int end = source.IndexOf("// example end", begin, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"{file} has no example region");
        int indent = begin - source.LastIndexOf('\n', begin) - 1;
        var body = source[(begin + "// example begin\n".Length)..source.LastIndexOf('\n', end)]
            .Split('\n')
            .Select(line => line.Length >= indent && line[..indent].Trim().Length == 0 ? line[indent..] : line.Trim());
        var usings = source.Split('\n').Where(line => line.StartsWith("using Lstm", StringComparison.Ordinal) && !line.StartsWith("using Lstm.Tests", StringComparison.Ordinal));
        string example = string.Join('\n', usings) + "\n\n" + string.Join('\n', body) + "\n";
        Assert.Contains("```csharp\n" + example + "```", readme, StringComparison.Ordinal);
    }

    [Fact]
    public void PackageReadme_ShowsTheClassifierAsItsTestRunsIt()
    {
        string root = RepositoryRoot();
        string package = File.ReadAllText(Path.Combine(root, "src", "Lstm", "PACKAGE.md"));
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        int start = readme.IndexOf("```csharp\nusing Lstm.Layers;\nusing Lstm.Models;\nusing Lstm.Training;\n\n// Sequences of 20 tokens", StringComparison.Ordinal);
        Assert.True(start >= 0, "the README shows the classifier");
        string block = readme[start..(readme.IndexOf("```", start + 3, StringComparison.Ordinal) + 3)];
        Assert.Contains(block, package, StringComparison.Ordinal);
        Assert.DoesNotContain("](src/", package, StringComparison.Ordinal); // no links relative to the repository
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

            // example begin
            var data = TextDataset.Load("ptb");                                   // vocabulary + train/valid/test ids
            var model = new Rnnlm(new RnnlmConfig(data.Vocabulary.Count), seed: 1); // the book's Rnnlm
            var trainer = new Trainer(model, new Sgd(20f), new TrainerOptions());  // N=20, T=35, clip 0.25
            trainer.Fit(data.Train, epochs: 4, validation: data.Validation);
            Console.WriteLine(Evaluation.Perplexity(model, data.Test!));
            // example end

            Assert.InRange(Evaluation.Perplexity(model, data.Test!), 1.0, data.Vocabulary.Count);
        }
        finally
        {
            Environment.CurrentDirectory = saved;
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lstm.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("The repository root (with Lstm.sln) is not above the test binaries.");
    }
}
