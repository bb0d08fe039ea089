using Lstm.Layers;
using Lstm.Models;

namespace Lstm.IO;

/// <summary>
/// Weights in the layout of PyTorch's word-language-model example: <c>encoder.weight</c> [V,D],
/// <c>rnn.weight_ih_l{k}</c> [4H,in], <c>rnn.weight_hh_l{k}</c> [4H,H], <c>rnn.bias_ih_l{k}</c> and
/// <c>rnn.bias_hh_l{k}</c> [4H], <c>decoder.weight</c> [V,H], <c>decoder.bias</c> [V].
/// </summary>
/// <remarks>
/// PyTorch orders the gates i, f, g, o and stores each weight transposed; this library orders them f, g, i, o
/// (the book's) and has one bias. Import reorders, transposes and sums the two biases; export writes the bias as
/// <c>bias_ih</c> and zeros as <c>bias_hh</c>. The weights are tied when <c>decoder.weight</c> equals
/// <c>encoder.weight</c>.
/// </remarks>
public static class TorchStateDict
{
    // Our gate q (f, g, i, o) is PyTorch's gate TorchGate[q] (PyTorch: i, f, g, o).
    private static readonly int[] TorchGate = [1, 2, 0, 3];

    /// <summary>Whether the tensors are in PyTorch's layout (they have <c>encoder.weight</c>).</summary>
    public static bool IsTorchLayout(IReadOnlyList<NamedTensor> tensors) => tensors.Any(t => t.Name == "encoder.weight");

    /// <summary>Builds an LSTM <see cref="Rnnlm"/> from PyTorch tensors; <paramref name="dropout"/> is not stored by PyTorch.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing or its shape does not fit; the message names it.</exception>
    public static Rnnlm Import(IReadOnlyList<NamedTensor> tensors, float dropout = 0f)
    {
        var byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        NamedTensor Get(string name, params int[] shape)
        {
            if (!byName.TryGetValue(name, out var tensor))
                throw new InvalidDataException($"tensor '{name}' is missing from the PyTorch state dict.");
            if (shape.Length > 0 && !tensor.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}]; expected [{string.Join(", ", shape)}].");
            return tensor;
        }

        var encoder = Get("encoder.weight");
        if (encoder.Shape.Length != 2)
            throw new InvalidDataException($"tensor 'encoder.weight' must be 2-D [V, D]; got [{string.Join(", ", encoder.Shape)}].");
        int V = encoder.Shape[0], D = encoder.Shape[1];
        var hh0 = Get("rnn.weight_hh_l0");
        int H = hh0.Shape.Length == 2 ? hh0.Shape[1] : throw new InvalidDataException("tensor 'rnn.weight_hh_l0' must be 2-D [4H, H].");
        int layers = 0;
        while (byName.ContainsKey($"rnn.weight_ih_l{layers}"))
            layers++;
        var decoder = Get("decoder.weight", V, H);
        bool tied = D == H && decoder.Data.Span.SequenceEqual(encoder.Data.Span);

        var model = new Rnnlm(new RnnlmConfig(V, D, H, layers, dropout, tied));
        encoder.Data.Span.CopyTo(model.Embedding.W.Value);
        for (int l = 0; l < layers; l++)
        {
            int input = l == 0 ? D : H;
            var lstm = (TimeLSTM)model.RecurrentLayers[l];
            FromTorch(Get($"rnn.weight_ih_l{l}", 4 * H, input).Data.Span, input, H, lstm.Wx.Value);
            FromTorch(Get($"rnn.weight_hh_l{l}", 4 * H, H).Data.Span, H, H, lstm.Wh.Value);
            var bih = Get($"rnn.bias_ih_l{l}", 4 * H).Data.Span;
            var bhh = Get($"rnn.bias_hh_l{l}", 4 * H).Data.Span;
            var b = lstm.B.Value;
            for (int q = 0; q < 4; q++)
            {
                for (int j = 0; j < H; j++)
                    b[q * H + j] = bih[TorchGate[q] * H + j] + bhh[TorchGate[q] * H + j];
            }
        }
        if (!tied)
            Transpose(decoder.Data.Span, V, H, model.Affine.W.Value);
        Get("decoder.bias", V).Data.Span.CopyTo(model.Affine.B.Value);
        return model;
    }

    /// <summary>The model's weights in PyTorch's layout (LSTM models only).</summary>
    /// <exception cref="ArgumentException">The model stacks plain RNN layers.</exception>
    public static IReadOnlyList<NamedTensor> Export(Rnnlm model)
    {
        var config = model.Config;
        if (config.Cell != RecurrentCell.Lstm)
            throw new ArgumentException("Only LSTM models have a PyTorch word-language-model layout.", nameof(model));
        int V = config.VocabularySize, D = config.EmbeddingSize, H = config.HiddenSize;
        var embedding = model.Embedding.W.Value;
        var tensors = new List<NamedTensor> { new("encoder.weight", [V, D], embedding.ToArray()) };
        for (int l = 0; l < config.Layers; l++)
        {
            int input = l == 0 ? D : H;
            var lstm = (TimeLSTM)model.RecurrentLayers[l];
            tensors.Add(new($"rnn.weight_ih_l{l}", [4 * H, input], ToTorch(lstm.Wx.Value, input, H)));
            tensors.Add(new($"rnn.weight_hh_l{l}", [4 * H, H], ToTorch(lstm.Wh.Value, H, H)));
            var b = lstm.B.Value;
            var bih = new float[4 * H];
            for (int q = 0; q < 4; q++)
                b.Slice(q * H, H).CopyTo(bih.AsSpan(TorchGate[q] * H));
            tensors.Add(new($"rnn.bias_ih_l{l}", [4 * H], bih));
            tensors.Add(new($"rnn.bias_hh_l{l}", [4 * H], new float[4 * H]));
        }
        var decoder = new float[V * H];
        if (config.TieWeights)
            embedding.CopyTo(decoder);
        else
            Transpose(model.Affine.W.Value, H, V, decoder);
        tensors.Add(new("decoder.weight", [V, H], decoder));
        tensors.Add(new("decoder.bias", [V], model.Affine.B.Value.ToArray()));
        return tensors;
    }

    /// <summary>Ours W[r, q·H + j] = PyTorch's w[TorchGate[q]·H + j, r], for a [4H, rows] PyTorch weight.</summary>
    private static void FromTorch(ReadOnlySpan<float> torch, int rows, int H, Span<float> ours)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int q = 0; q < 4; q++)
            {
                for (int j = 0; j < H; j++)
                    ours[r * 4 * H + q * H + j] = torch[(TorchGate[q] * H + j) * rows + r];
            }
        }
    }

    private static float[] ToTorch(ReadOnlySpan<float> ours, int rows, int H)
    {
        var torch = new float[4 * H * rows];
        for (int r = 0; r < rows; r++)
        {
            for (int q = 0; q < 4; q++)
            {
                for (int j = 0; j < H; j++)
                    torch[(TorchGate[q] * H + j) * rows + r] = ours[r * 4 * H + q * H + j];
            }
        }
        return torch;
    }

    private static void Transpose(ReadOnlySpan<float> source, int rows, int cols, Span<float> destination)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
                destination[c * rows + r] = source[r * cols + c];
        }
    }
}
