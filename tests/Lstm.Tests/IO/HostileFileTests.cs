using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Lstm.Data;
using Lstm.IO;
using Lstm.Models;
using Lstm.Training;

namespace Lstm.Tests.IO;

/// <summary>Broken and hostile files: each is refused with an <see cref="InvalidDataException"/> that says why, before anything large is allocated.</summary>
public sealed class HostileFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lstm-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Path(string name) => System.IO.Path.Combine(_dir, name);

    private string SaveModel(Model? model = null)
    {
        model ??= new Rnnlm(new RnnlmConfig(6, 4, 5, Layers: 2), seed: 1);
        string path = Path("model.safetensors");
        Checkpoint.Save(path, model, model is Rnnlm { Config.VocabularySize: 6 } ? new Vocabulary(["a", "b", "c", "d", "<unk>", "<eos>"]) : null);
        return path;
    }

    /// <summary>Rewrites the JSON header of a safetensors file (the data stays as it is).</summary>
    internal static byte[] EditHeader(byte[] file, Action<JsonObject> edit)
    {
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var header = JsonNode.Parse(file.AsSpan(8, length))!.AsObject();
        edit(header);
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var bytes = new byte[8 + json.Length + (file.Length - 8 - length)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        file.AsSpan(8 + length).CopyTo(bytes.AsSpan(8 + json.Length));
        return bytes;
    }

    /// <summary>Rewrites a safetensors file with its tensors' data laid out again after <paramref name="edit"/> changed the list.</summary>
    internal static byte[] EditTensors(byte[] file, Action<List<(string Name, JsonNode Info, byte[] Data)>> edit)
    {
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var header = JsonNode.Parse(file.AsSpan(8, length))!.AsObject();
        var tensors = header.Where(p => p.Key != "__metadata__").Select(p =>
        {
            var offsets = p.Value!["data_offsets"]!.AsArray();
            long begin = (long)offsets[0]!, end = (long)offsets[1]!;
            return (p.Key, p.Value!.DeepClone(), file[(8 + length + (int)begin)..(8 + length + (int)end)]);
        }).ToList();
        edit(tensors);
        var rebuilt = new JsonObject { ["__metadata__"] = header["__metadata__"]?.DeepClone() };
        var data = new MemoryStream();
        foreach (var (name, info, bytes) in tensors)
        {
            info["data_offsets"] = new JsonArray(data.Length, data.Length + bytes.Length);
            rebuilt[name] = info;
            data.Write(bytes);
        }
        var json = Encoding.UTF8.GetBytes(rebuilt.ToJsonString());
        var result = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)json.Length);
        json.CopyTo(result, 8);
        data.ToArray().CopyTo(result, 8 + json.Length);
        return result;
    }

    private static void EditConfig(JsonObject header, string key, int value)
    {
        var metadata = header["__metadata__"]!.AsObject();
        var config = JsonNode.Parse((string)metadata["config"]!)!.AsObject();
        config[key] = value;
        metadata["config"] = config.ToJsonString();
    }

    private string Edited(string path, Action<JsonObject> edit)
    {
        File.WriteAllBytes(path, EditHeader(File.ReadAllBytes(path), edit));
        return path;
    }

    private static string Refused(Action load) => Assert.Throws<InvalidDataException>(load).Message;

    [Fact]
    public void AHeaderOverTheReferenceLimit_IsRefusedBeforeItIsRead()
    {
        string path = Path("x.safetensors");
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 200_000_000);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("100,000,000", Refused(() => Checkpoint.Load(path)));
    }

    [Fact]
    public void BytesNoTensorCovers_AreRefused()
    {
        string path = SaveModel();
        File.AppendAllText(path, "trailing");
        Assert.Contains("after the last tensor", Refused(() => Checkpoint.Load(path)));
    }

    [Fact]
    public void ATensorNamedTwice_IsRefused()
    {
        string path = Path("x.safetensors");
        var header = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""";
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("'a' twice", Refused(() => SafeTensors.Read(path)));
    }

    [Fact]
    public void MetadataThatIsNotAString_IsRefused()
    {
        string path = Edited(SaveModel(), h => h["__metadata__"]!["kind"] = 7);
        Assert.Contains("'kind' is not a string", Refused(() => Checkpoint.Load(path)));
    }

    [Theory]
    [InlineData("hidden_size", 20000)]
    [InlineData("layers", int.MaxValue)]
    [InlineData("vocabulary_size", 1 << 24)]
    public void AConfigurationLargerThanTheFile_IsRefusedWithoutAllocatingIt(string key, int value)
    {
        string path = Edited(SaveModel(), h => EditConfig(h, key, value));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var message = Refused(() => Checkpoint.Load(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("larger model than the file holds", message);
        Assert.True(allocated < 4 << 20, $"{allocated:N0} bytes allocated to refuse a {new FileInfo(path).Length:N0}-byte file");
    }

    [Fact]
    public void AConfigurationThatDisagreesWithTheTensors_NamesTheTensor()
    {
        string path = Edited(SaveModel(), h => EditConfig(h, "embedding_size", 3));
        Assert.Contains("'embed.W' has shape [6, 4]; the model needs [6, 3]", Refused(() => Checkpoint.Load(path)));
    }

    [Fact]
    public void AVocabularyOfAnotherSize_IsRefused_ForEveryModelKind()
    {
        string path = Edited(SaveModel(), h => h["__metadata__"]!["vocabulary"] = """["a","b"]""");
        Assert.Contains("the vocabulary has 2 words; the model has 6 ids", Refused(() => Checkpoint.Load(path)));

        var seq2seq = new Seq2seq(new Seq2seqConfig(VocabularySize: 5, EmbeddingSize: 3, HiddenSize: 4), seed: 1);
        string other = Path("seq2seq.safetensors");
        Checkpoint.Save(other, seq2seq, new Vocabulary(["1", "2", "+", "_", " "]));
        Edited(other, h => h["__metadata__"]!["vocabulary"] = """["1","2","+"]""");
        Assert.Contains("the vocabulary has 3 words; the model has 5 ids", Refused(() => Checkpoint.Load(other)));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void ANonFiniteWeight_IsRefused_NamingTheTensor(float bad)
    {
        var model = new Rnnlm(new RnnlmConfig(6, 4, 5, Layers: 2), seed: 1);
        model.RecurrentLayers[1].Parameters[1].Value[7] = bad;
        string path = SaveModel(model);
        var message = Refused(() => Checkpoint.Load(path));
        Assert.Contains("'lstm1.Wh'", message);
        Assert.Contains("index 7", message);
    }

    [Fact]
    public void LoadInto_ABrokenFile_LeavesTheModelAsItWas()
    {
        var model = new Rnnlm(new RnnlmConfig(6, 4, 5, Layers: 2), seed: 1);
        model.Affine.B.Value[5] = float.NaN;
        string path = SaveModel(model);
        var target = new Rnnlm(new RnnlmConfig(6, 4, 5, Layers: 2), seed: 2);
        var before = target.Parameters.Values.ToArray();
        Refused(() => Checkpoint.LoadInto(path, target));
        Assert.Equal(before, target.Parameters.Values);
    }

    [Fact]
    public void Load_AllocatesAboutTheModel_NotTheFileTwiceOrAGrowingBuffer()
    {
        var model = new Rnnlm(new RnnlmConfig(2000, 64, 128, Layers: 2), seed: 1);
        string path = SaveModel(model);
        Checkpoint.Load(path); // JIT and type loading outside the measurement
        long before = GC.GetAllocatedBytesForCurrentThread();
        var (loaded, _) = Checkpoint.Load(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long values = 4L * loaded.Parameters.Length;
        Assert.True(allocated < values + (1 << 20), $"{allocated:N0} bytes allocated to load {values:N0} bytes of parameters");
        Assert.Equal(model.Parameters.Values, loaded.Parameters.Values);
    }

    private string SaveTraining(Action<JsonObject>? edit = null)
    {
        var vocabulary = SyntheticLanguage.CreateVocabulary();
        var model = new Rnnlm(new RnnlmConfig(vocabulary.Count, 4, 5, Layers: 2), seed: 1);
        var optimizer = new Adam(0.01f);
        var trainer = new Trainer(model, optimizer, new TrainerOptions(BatchSize: 3, TimeSteps: 5, CheckpointInterval: 2));
        string path = Path("run.safetensors");
        trainer.CheckpointDue += position => Checkpoint.Save(path, model, vocabulary, optimizer, position);
        trainer.Fit(SyntheticLanguage.Generate(200, seed: 1), epochs: 1, maxSteps: 4);
        return edit is null ? path : Edited(path, edit);
    }

    [Fact]
    public void LoadTraining_OfAnIntactRun_Works() =>
        Assert.Equal(4, Checkpoint.LoadTraining(SaveTraining(), new Adam(0.01f)).Position.Step);

    [Fact]
    public void LoadTraining_MissingOptimizerState_IsRefused()
    {
        string path = SaveTraining();
        File.WriteAllBytes(path, EditTensors(File.ReadAllBytes(path), t => t.RemoveAll(x => x.Name == "optimizer.v")));
        Assert.Contains("'optimizer.v' is missing", Refused(() => Checkpoint.LoadTraining(path, new Adam(0.01f))));
    }

    [Theory]
    [InlineData("step", -1, "negative")]
    [InlineData("epoch", 0, "epoch 0")]
    [InlineData("batch_size", 0, "batches of 0")]
    [InlineData("learning_rate", 0, "learning rate 0")]
    public void LoadTraining_AnOutOfRangePosition_IsRefused(string field, int value, string expected)
    {
        string path = SaveTraining(h =>
        {
            var metadata = h["__metadata__"]!.AsObject();
            var training = JsonNode.Parse((string)metadata["training"]!)!.AsObject();
            training[field] = value;
            metadata["training"] = training.ToJsonString();
        });
        Assert.Contains(expected, Refused(() => Checkpoint.LoadTraining(path, new Adam(0.01f))));
    }

    [Fact]
    public void LoadTraining_AStateOfTheWrongSizeOrForNoLayer_IsRefused()
    {
        string path = SaveTraining(h =>
        {
            var metadata = h["__metadata__"]!.AsObject();
            var training = JsonNode.Parse((string)metadata["training"]!)!.AsObject();
            training["batch_size"] = 2;
            metadata["training"] = training.ToJsonString();
        });
        Assert.Contains("'state.0.h' has shape [15]; layer 0 carries N·H = 2·5", Refused(() => Checkpoint.LoadTraining(path, new Adam(0.01f))));

        path = SaveTraining();
        File.WriteAllBytes(path, EditTensors(File.ReadAllBytes(path), t => t.Add(("state.7.h", t.Single(x => x.Name == "state.1.h").Info.DeepClone(), new byte[60]))));
        Assert.Contains("'state.7.h' is not the state of a layer", Refused(() => Checkpoint.LoadTraining(path, new Adam(0.01f))));
    }
}
