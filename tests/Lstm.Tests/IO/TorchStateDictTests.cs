using System.Text.Json;
using Lstm.IO;
using Lstm.Layers;
using Lstm.Training;

namespace Lstm.Tests.IO;

/// <summary>
/// Against golden fixtures made with PyTorch 1.13 (Fixtures/make_torch_fixture.py): 2-layer LSTM and GRU language
/// models in the layout of PyTorch's word-language-model example, their perplexity under the book's evaluation, and
/// their weights after 3 SGD steps with the book's batching and clipping (bias_hh frozen at zero, as the spec advises;
/// for the GRU only its r and z parts, its n part being b_hn).
/// </summary>
public class TorchStateDictTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    private static (int[] Corpus, JsonElement Json) Expected(string fixture)
    {
        var json = JsonDocument.Parse(File.ReadAllText(Fixture($"{fixture}.json"))).RootElement;
        return (json.GetProperty("corpus").EnumerateArray().Select(e => e.GetInt32()).ToArray(), json);
    }

    [Theory]
    [InlineData("torch-lm")]
    [InlineData("torch-gru-lm")]
    public void Import_SameWeightsSameData_GivesPyTorchsPerplexity(string fixture)
    {
        var (tensors, _) = SafeTensors.Read(Fixture($"{fixture}.safetensors"));
        var model = TorchStateDict.Import(tensors);
        Assert.Equal(fixture == "torch-lm" ? Lstm.Models.RecurrentCell.Lstm : Lstm.Models.RecurrentCell.Gru, model.Config.Cell);
        var (corpus, json) = Expected(fixture);
        double expected = json.GetProperty("perplexity").GetDouble();
        double perplexity = Evaluation.Perplexity(model, corpus);
        Assert.True(Math.Abs(perplexity - expected) <= 1e-3 * expected, $"perplexity {perplexity}, PyTorch {expected}");
    }

    [Theory]
    [InlineData("torch-lm")]
    [InlineData("torch-gru-lm")]
    public void Import_ThenSgdSteps_GivesPyTorchsWeights(string fixture)
    {
        var (tensors, _) = SafeTensors.Read(Fixture($"{fixture}.safetensors"));
        var model = TorchStateDict.Import(tensors);
        var (corpus, json) = Expected(fixture);
        var options = new TrainerOptions(json.GetProperty("batch").GetInt32(), json.GetProperty("time").GetInt32(), json.GetProperty("clip").GetSingle());
        new Trainer(model, new Sgd(json.GetProperty("lr").GetSingle()), options).Fit(corpus, epochs: 1, maxSteps: json.GetProperty("steps").GetInt32());

        var (after, _) = SafeTensors.Read(Fixture($"{fixture}-after-sgd.safetensors"));
        var ours = TorchStateDict.Export(model).ToDictionary(t => t.Name);
        foreach (var expected in after)
        {
            var actual = ours[expected.Name].Data.Span;
            var want = expected.Data.Span;
            float scale = 0;
            foreach (float v in want)
                scale = Math.Max(scale, Math.Abs(v));
            for (int i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(actual[i] - want[i]) <= 2e-4 * Math.Max(scale, 1e-3f), $"{expected.Name}[{i}]: {actual[i]}, PyTorch {want[i]}");
        }

        // The steps moved the weights: the comparison is not of two unchanged copies.
        var (before, _) = SafeTensors.Read(Fixture($"{fixture}.safetensors"));
        Assert.False(before.Single(t => t.Name == "decoder.bias").Data.Span.SequenceEqual(after.Single(t => t.Name == "decoder.bias").Data.Span));
    }

    [Fact]
    public void Export_ThenImport_RoundTrips()
    {
        var (tensors, _) = SafeTensors.Read(Fixture("torch-lm.safetensors"));
        var model = TorchStateDict.Import(tensors);
        var again = TorchStateDict.Import(TorchStateDict.Export(model));
        Assert.True(model.Parameters.Values.AsSpan().SequenceEqual(again.Parameters.Values));
        Assert.False(model.Config.TieWeights);
    }

    [Fact]
    public void Export_ThenImport_Gru_RoundTripsWithBhnInBiasHh()
    {
        var model = new Lstm.Models.Rnnlm(new Lstm.Models.RnnlmConfig(7, 4, 5, Layers: 2, Cell: Lstm.Models.RecurrentCell.Gru), seed: 2);
        TestData.Uniform(new Random(3), model.Parameters.Values.Length).CopyTo(model.Parameters.Values, 0);
        var tensors = TorchStateDict.Export(model);
        var bhh = tensors.Single(t => t.Name == "rnn.bias_hh_l1");
        Assert.Equal([15], bhh.Shape);
        Assert.All(bhh.Data.ToArray()[..10], v => Assert.Equal(0f, v));
        Assert.Equal(model.Parameters["gru1.b_hn"].Value.ToArray(), bhh.Data.ToArray()[10..]);
        var again = TorchStateDict.Import(tensors);
        Assert.Equal(model.Config, again.Config);
        Assert.True(model.Parameters.Values.AsSpan().SequenceEqual(again.Parameters.Values));
    }

    [Fact]
    public void GruAndBidirectionalLstm_OnPyTorchsWeights_GivePyTorchsOutputsAndInputGradients()
    {
        // torch-layers.safetensors (make_torch_layers_fixture.py): nn.GRU and a bidirectional nn.LSTM, N=2 T=5 D=3 H=4.
        var (tensors, _) = SafeTensors.Read(Fixture("torch-layers.safetensors"));
        var byName = tensors.ToDictionary(t => t.Name, t => t.Data.ToArray());
        const int N = 2, T = 5, D = 3, H = 4;
        var shape = new SequenceShape(N, T);
        void Import(RecurrentLayer layer, string prefix, string suffix) => TorchStateDict.ImportLayer(layer,
            byName[$"{prefix}.weight_ih_l0{suffix}"], byName[$"{prefix}.weight_hh_l0{suffix}"], byName[$"{prefix}.bias_ih_l0{suffix}"], byName[$"{prefix}.bias_hh_l0{suffix}"]);
        static void Near(float[] expected, ReadOnlySpan<float> actual, string what)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: {actual[i]}, PyTorch {expected[i]}");
        }

        var set = new ParameterSet();
        var gru = TimeGRU.Create(set, "gru", D, H, new RandomSource(1));
        Import(gru, "gru", "");
        Near(byName["gru.y"], gru.Forward(byName["gru.x"], shape).Span, "gru y");
        Near(byName["gru.dx"], gru.Backward(byName["gru.dy"]).Span, "gru dx");

        var bilstm = TimeBidirectional.Lstm(set, "bilstm", D, H, new RandomSource(2));
        Import((RecurrentLayer)bilstm.ForwardLayer, "bilstm", "");
        Import((RecurrentLayer)bilstm.BackwardLayer, "bilstm", "_reverse");
        Near(byName["bilstm.y"], bilstm.Forward(byName["bilstm.x"], shape, training: false).Span, "bilstm y");
        Near(byName["bilstm.dx"], bilstm.Backward(byName["bilstm.dy"]).Span, "bilstm dx");
    }

    [Fact]
    public void Import_WrongShape_NamesTheTensor()
    {
        var (tensors, _) = SafeTensors.Read(Fixture("torch-lm.safetensors"));
        var broken = tensors.Select(t => t.Name == "rnn.weight_hh_l1" ? t with { Shape = [6, 24] } : t).ToList();
        Assert.Contains("'rnn.weight_hh_l1'", Assert.Throws<InvalidDataException>(() => TorchStateDict.Import(broken)).Message);
    }
}
