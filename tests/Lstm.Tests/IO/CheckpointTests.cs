using System.Buffers.Binary;
using System.Text;
using Lstm.Data;
using Lstm.IO;
using Lstm.Layers;
using Lstm.Models;

namespace Lstm.Tests.IO;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lstm-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (Rnnlm, Vocabulary) Trained()
    {
        var vocabulary = new Vocabulary(["a", "b", "c", "<unk>", "<eos>"]);
        var model = new Rnnlm(new RnnlmConfig(5, 4, 4, Layers: 2, Dropout: 0.25f, TieWeights: true), seed: 3);
        TestData.Uniform(new Random(1), model.Parameters.Values.Length).CopyTo(model.Parameters.Values, 0);
        return (model, vocabulary);
    }

    [Fact]
    public void SaveThenLoad_GivesTheSameModelAndVocabulary()
    {
        var (path, model, vocabulary) = SaveTrained();
        var (loaded, words) = Checkpoint.Load(path);
        Assert.Equal(model.Config, Assert.IsType<Rnnlm>(loaded).Config);
        Assert.Equal(vocabulary.Words, words!.Words);
        Assert.True(model.Parameters.Values.AsSpan().SequenceEqual(loaded.Parameters.Values));
        Assert.Equal(new[] { "model.safetensors" }, Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_FailingMidway_LeavesThePreviousFileIntact()
    {
        var (path, model, vocabulary) = SaveTrained();
        byte[] before = File.ReadAllBytes(path);
        // A tensor whose data does not match its shape makes the writer fail after it has started.
        var bad = new List<NamedTensor> { new("x", [2], new float[2]), new("y", [3], new float[2]) };
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, bad, new Dictionary<string, string>()));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Save_StoppedBeforeTheRename_LeavesThePreviousCheckpointIntact()
    {
        var (path, model, vocabulary) = SaveTrained();
        byte[] before = File.ReadAllBytes(path);
        model.Parameters.Values[0] += 1f;
        string? seen = null;
        AtomicFile.BeforeRename = temporary =>
        {
            seen = temporary;
            Assert.True(new FileInfo(temporary).Length > before.Length / 2, "the new file was written in full");
            throw new IOException("killed");
        };
        try
        {
            Assert.Throws<IOException>(() => Checkpoint.Save(path, model, vocabulary));
        }
        finally
        {
            AtomicFile.BeforeRename = null;
        }
        Assert.NotNull(seen);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "model.safetensors" }, Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Load_TruncatedFile_SaysTruncated()
    {
        string path = Save();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..5]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path)).Message);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path)).Message);
    }

    [Fact]
    public void Load_HeaderLengthBeyondTheFile_SaysSo()
    {
        string path = Save();
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("header length", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path)).Message);
    }

    [Fact]
    public void Load_OverlappingOrOutOfRangeOffsets_NameTheTensor()
    {
        string path = Path.Combine(_dir, "x.safetensors");
        WriteRaw(path, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains("overlaps", e.Message);
        Assert.Contains("'b'", e.Message);
        WriteRaw(path, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 12);
        Assert.Contains("'a'", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path)).Message);
    }

    [Fact]
    public void Load_UnknownDtype_NamesTheTensorAndDtype()
    {
        string path = Path.Combine(_dir, "x.safetensors");
        WriteRaw(path, """{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", 8);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("I64", e.Message);
    }

    [Fact]
    public void Read_F16AndBF16_AreWidenedToFloat()
    {
        string path = Path.Combine(_dir, "x.safetensors");
        var data = new byte[8];
        BinaryPrimitives.WriteHalfLittleEndian(data, (Half)1.5f);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2), (Half)(-2f));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), (ushort)(BitConverter.SingleToInt32Bits(3.25f) >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(6), (ushort)(BitConverter.SingleToInt32Bits(-0.5f) >> 16));
        WriteRaw(path, """{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}""", data);
        var (tensors, _) = SafeTensors.Read(path);
        Assert.Equal([1.5f, -2f], tensors.Single(t => t.Name == "h").Data.ToArray());
        Assert.Equal([3.25f, -0.5f], tensors.Single(t => t.Name == "b").Data.ToArray());
    }

    [Fact]
    public void Load_ShapeThatDoesNotFitTheModel_NamesTheTensor()
    {
        var (path, model, vocabulary) = SaveTrained();
        var (tensors, metadata) = SafeTensors.Read(path);
        var changed = tensors.Select(t => t.Name == "lstm1.Wh" ? t with { Shape = [2, 32], Data = new float[64] } : t).ToList();
        SafeTensors.Write(path, changed, metadata);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Contains("'lstm1.Wh'", e.Message);
        Assert.Contains("[4, 16]", e.Message);
    }

    [Theory]
    [InlineData("rnnlm-v1-lstm.safetensors", 2, 4, 4, true, RecurrentCell.Lstm)]
    [InlineData("rnnlm-v1-rnn.safetensors", 1, 3, 6, false, RecurrentCell.Rnn)]
    public void Load_CheckpointOfTheFirstFormat_GivesTheModelItWasSavedFrom(string file, int layers, int d, int h, bool tied, RecurrentCell cell)
    {
        // Written by the library before models had a kind: the first a 2-layer tied LSTM (seed 3), the second a plain
        // RNN (seed 4), each with values drawn in order from new Random(1) as 2u − 1, so the test can draw them again.
        var (model, vocabulary) = Checkpoint.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", file));
        var lm = Assert.IsType<Rnnlm>(model);
        Assert.Equal(new RnnlmConfig(5, d, h, layers, layers == 2 ? 0.25f : 0f, tied, cell), lm.Config);
        Assert.Equal(["a", "b", "c", "<unk>", "<eos>"], vocabulary!.Words);
        var random = new Random(1);
        if (cell == RecurrentCell.Rnn)
            TestData.Uniform(random, 313);
        Assert.Equal(TestData.Uniform(random, lm.Parameters.Values.Length), lm.Parameters.Values);
    }

    [Fact]
    public void SaveThenLoad_CharacterVocabulary_KeepsSpacesAndLineEnds()
    {
        var vocabulary = new Vocabulary(["a", " ", "\n", "\""]) { Level = TokenLevel.Character };
        var model = new Rnnlm(new RnnlmConfig(4, 3, 3));
        string path = Path.Combine(_dir, "chars.safetensors");
        Checkpoint.Save(path, model, vocabulary);
        var loaded = Checkpoint.Load(path).Vocabulary!;
        Assert.Equal(vocabulary.Words, loaded.Words);
        Assert.Equal(TokenLevel.Character, loaded.Level);
    }

    [Fact]
    public void LoadInto_AModelBuiltInCode_CopiesItsParametersByName()
    {
        string path = Path.Combine(_dir, "custom.safetensors");
        static SequentialModel Build(ulong seed)
        {
            var set = new ParameterSet();
            var random = new RandomSource(seed);
            var layers = new Sequential(TimeLSTM.Create(set, "lstm", 2, 3, random, returnSequences: false), TimeAffine.Create(set, "head", 3, 4, random));
            return new SequentialModel(layers, new TimeSoftmaxWithLoss(), set, random);
        }
        var saved = Build(1);
        Checkpoint.Save(path, saved);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Contains("LoadInto", e.Message);

        var loaded = Build(2);
        Assert.Null(Checkpoint.LoadInto(path, loaded));
        Assert.Equal(saved.Parameters.Values, loaded.Parameters.Values);
        var other = new Rnnlm(new RnnlmConfig(4, 2, 3));
        Assert.Contains("is missing", Assert.Throws<InvalidDataException>(() => Checkpoint.LoadInto(path, other)).Message);
    }

    private string Save() => SaveTrained().Path;

    private (string Path, Rnnlm Model, Vocabulary Vocabulary) SaveTrained()
    {
        var (model, vocabulary) = Trained();
        string path = Path.Combine(_dir, "model.safetensors");
        Checkpoint.Save(path, model, vocabulary);
        return (path, model, vocabulary);
    }

    private static void WriteRaw(string path, string header, int dataBytes) => WriteRaw(path, header, new byte[dataBytes]);

    private static void WriteRaw(string path, string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        File.WriteAllBytes(path, bytes);
    }
}
