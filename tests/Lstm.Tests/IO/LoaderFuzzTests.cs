using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Lstm.Data;
using Lstm.IO;
using Lstm.Models;
using Lstm.Training;
using Xunit;

namespace Lstm.Tests.IO;

/// <summary>
/// Seeded mutations of valid files through every loader: each must give a model or its documented exception, quickly
/// and without allocating more than twice the file (and 64 KB of objects). <c>LSTM_FUZZ_CASES</c> sets the cases per loader (a longer campaign).
/// </summary>
public sealed class LoaderFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lstm-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int Cases(int suite) =>
        int.TryParse(Environment.GetEnvironmentVariable("LSTM_FUZZ_CASES"), out int n) && n > 0 ? n : suite;

    private string Valid(string name, Action<string> save)
    {
        string path = Path.Combine(_dir, name);
        save(path);
        return path;
    }

    private byte[] LanguageModel() => File.ReadAllBytes(Valid("lm.safetensors", path =>
        Checkpoint.Save(path, new Rnnlm(new RnnlmConfig(6, 4, 5, Layers: 2, Cell: RecurrentCell.Lstm), seed: 1),
            new Vocabulary(["a", "b", "c", "d", "<unk>", "<eos>"]))));

    private byte[] LargerLanguageModel() => File.ReadAllBytes(Valid("larger.safetensors", path =>
        Checkpoint.Save(path, new Rnnlm(new RnnlmConfig(500, 32, 64, Layers: 1), seed: 1))));

    private byte[] AttentionModel() => File.ReadAllBytes(Valid("seq2seq.safetensors", path =>
        Checkpoint.Save(path, new AttentionSeq2seq(new Seq2seqConfig(VocabularySize: 5, EmbeddingSize: 3, HiddenSize: 4), seed: 1),
            new Vocabulary(["1", "2", "+", "_", " "]))));

    private byte[] TrainingRun() => File.ReadAllBytes(Valid("run.safetensors", path =>
    {
        var vocabulary = SyntheticLanguage.CreateVocabulary();
        var model = new Rnnlm(new RnnlmConfig(vocabulary.Count, 4, 5, Layers: 1, Cell: RecurrentCell.Gru), seed: 1);
        var optimizer = new Adam(0.01f);
        var trainer = new Trainer(model, optimizer, new TrainerOptions(BatchSize: 2, TimeSteps: 4, CheckpointInterval: 2));
        trainer.CheckpointDue += position => Checkpoint.Save(path, model, vocabulary, optimizer, position);
        trainer.Fit(SyntheticLanguage.Generate(100, seed: 1), epochs: 1, maxSteps: 2);
    }));

    private byte[] TorchStateDictFile() => File.ReadAllBytes(Valid("torch.safetensors", path =>
        SafeTensors.Write(path, TorchStateDict.Export(new Rnnlm(new RnnlmConfig(6, 4, 5, Layers: 2), seed: 1)), new Dictionary<string, string>())));

    [Fact]
    public void Checkpoint_Load_OfMutatedModels_GivesAModelOrInvalidDataException()
    {
        Fuzz("Checkpoint.Load (rnnlm)", LanguageModel(), Cases(1500), seed: 1, path => Checkpoint.Load(path));
        Fuzz("Checkpoint.Load (attention seq2seq)", AttentionModel(), Cases(1000), seed: 2, path => Checkpoint.Load(path));
        Fuzz("Checkpoint.Load (a 300 KB rnnlm)", LargerLanguageModel(), Cases(1000) / 5, seed: 5, path => Checkpoint.Load(path));
    }

    [Fact]
    public void Checkpoint_LoadTraining_OfMutatedRuns_GivesAPositionOrInvalidDataException() =>
        Fuzz("Checkpoint.LoadTraining", TrainingRun(), Cases(1000), seed: 3, path => Checkpoint.LoadTraining(path, new Adam(0.01f)));

    [Fact]
    public void TorchStateDict_Import_OfMutatedStateDicts_GivesAModelOrInvalidDataException() =>
        Fuzz("TorchStateDict.Import", TorchStateDictFile(), Cases(1000), seed: 4, path => TorchStateDict.Import(SafeTensors.Read(path).Tensors));

    private void Fuzz(string loader, byte[] valid, int cases, int seed, Action<string> load)
    {
        load(Write(valid, "warm-up")); // the valid file loads (and the JIT is warm before anything is timed)
        var random = new Random(seed);
        int loaded = 0, refused = 0;
        long worstBytes = 0;
        double worstMs = 0;
        var failures = new List<string>();
        for (int i = 0; i < cases && failures.Count < 5; i++)
        {
            var (bytes, mutation) = Mutate(valid, random);
            string path = Write(bytes, $"case{i % 8}");
            string? failure = null;
            var (outcome, ms, allocated) = Measure(load, path);
            if (ms > 1000 || allocated > (2L * bytes.Length) + (64 << 10))
            {
                // Once more before judging: the first time a path runs it may pay one-time costs (a type's first exception
                // loads its message resources) or meet a GC pause or a busy core. A second run shows the load itself.
                (outcome, ms, allocated) = Measure(load, path);
            }
            switch (outcome)
            {
                case null:
                    loaded++;
                    break;
                case InvalidDataException:
                    refused++;
                    break;
                default:
                    failure = $"{outcome.GetType().Name}: {outcome.Message}";
                    break;
            }
            worstMs = Math.Max(worstMs, ms);
            worstBytes = Math.Max(worstBytes, allocated);
            if (failure is null && ms > 1000)
                failure = $"took {ms:F0} ms";
            if (failure is null && allocated > (2L * bytes.Length) + (64 << 10))
                failure = $"allocated {allocated:N0} bytes for a {bytes.Length:N0}-byte file";
            if (failure is not null)
                failures.Add($"case {i} ({mutation}): {failure}");
        }
        output.WriteLine($"{loader}: {cases} mutations of a {valid.Length:N0}-byte file: {loaded} loaded, {refused} InvalidDataException, " +
            $"{failures.Count} other; slowest {worstMs:F1} ms, most allocated {worstBytes:N0} bytes");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(refused > cases / 2, $"only {refused} of {cases} mutations were refused: the mutations do not reach the checks");
    }

    /// <summary>One load: the exception it threw (null when it loaded), its milliseconds and the bytes it allocated.</summary>
    private static (Exception? Outcome, double Ms, long Allocated) Measure(Action<string> load, string path)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        Exception? outcome = null;
        try
        {
            load(path);
        }
        catch (Exception e)
        {
            outcome = e;
        }
        return (outcome, clock.Elapsed.TotalMilliseconds, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private string Write(byte[] bytes, string name)
    {
        string path = Path.Combine(_dir, name + ".safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>One to three of: bit flips, truncation, an edited header length, a number in the header replaced, bytes inserted or removed.</summary>
    private static (byte[] Bytes, string Mutation) Mutate(byte[] valid, Random random)
    {
        var bytes = valid;
        var what = new List<string>();
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        for (int m = random.Next(1, 4); m > 0; m--)
        {
            switch (random.Next(7))
            {
                case 0 when bytes.Length > 0:
                    bytes = (byte[])bytes.Clone();
                    int at = random.Next(bytes.Length);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    what.Add($"bit flip at {at}");
                    break;
                case 1:
                    int keep = random.Next(bytes.Length);
                    bytes = bytes[..keep];
                    what.Add($"truncated to {keep}");
                    break;
                case 2 when bytes.Length >= 8:
                    bytes = (byte[])bytes.Clone();
                    ulong length = random.Next(3) switch
                    {
                        0 => (ulong)(headerLength + random.Next(-16, 17)),
                        1 => (ulong)random.NextInt64(),
                        _ => ulong.MaxValue - (ulong)random.Next(16),
                    };
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
                    what.Add($"header length {length}");
                    break;
                case 3 or 4:
                    (bytes, string edit) = ReplaceNumber(bytes, headerLength, random);
                    what.Add(edit);
                    break;
                case 5:
                    int insertAt = random.Next(bytes.Length + 1);
                    var inserted = new byte[random.Next(1, 9)];
                    random.NextBytes(inserted);
                    bytes = [.. bytes[..insertAt], .. inserted, .. bytes[insertAt..]];
                    what.Add($"{inserted.Length} bytes inserted at {insertAt}");
                    break;
                default:
                    if (bytes.Length == 0)
                        break;
                    int removeAt = random.Next(bytes.Length), count = Math.Min(random.Next(1, 9), bytes.Length - removeAt);
                    bytes = [.. bytes[..removeAt], .. bytes[(removeAt + count)..]];
                    what.Add($"{count} bytes removed at {removeAt}");
                    break;
            }
        }
        return (bytes, string.Join(", ", what));
    }

    private static readonly string[] Numbers = ["0", "-1", "1", "3", "65536", "2147483647", "2147483648", "4294967296", "9223372036854775807", "1e309", "0.5", "NaN"];

    /// <summary>A run of digits in the header (a shape, an offset, a size in the configuration) replaced by a hostile number.</summary>
    private static (byte[], string) ReplaceNumber(byte[] bytes, int headerLength, Random random)
    {
        int end = Math.Min(bytes.Length, 8 + Math.Max(0, headerLength));
        var runs = new List<(int Start, int Length)>();
        for (int i = 8; i < end; i++)
        {
            if (!char.IsAsciiDigit((char)bytes[i]))
                continue;
            int start = i;
            while (i < end && char.IsAsciiDigit((char)bytes[i]))
                i++;
            runs.Add((start, i - start));
        }
        if (runs.Count == 0)
            return (bytes, "no number to replace");
        var (s, l) = runs[random.Next(runs.Count)];
        string number = Numbers[random.Next(Numbers.Length)];
        var replacement = Encoding.ASCII.GetBytes(number);
        byte[] result = [.. bytes[..s], .. replacement, .. bytes[(s + l)..]];
        // Keep the header length right half of the time, so the edit reaches the JSON and the checks behind it.
        if (random.Next(2) == 0 && result.Length >= 8)
            BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)(headerLength + replacement.Length - l));
        return (result, $"number at {s} ({Encoding.ASCII.GetString(bytes, s, l)}) replaced by {number}");
    }
}
