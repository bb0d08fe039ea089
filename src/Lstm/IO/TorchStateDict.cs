using Lstm.Kernels;
using Lstm.Layers;
using Lstm.Models;

namespace Lstm.IO;

/// <summary>
/// Weights in the layout of PyTorch's word-language-model example: <c>encoder.weight</c> [V,D],
/// <c>rnn.weight_ih_l{k}</c> [GH,in], <c>rnn.weight_hh_l{k}</c> [GH,H], <c>rnn.bias_ih_l{k}</c> and
/// <c>rnn.bias_hh_l{k}</c> [GH], <c>decoder.weight</c> [V,H], <c>decoder.bias</c> [V]; G = 4 for an LSTM, 3 for a GRU.
/// </summary>
/// <remarks>
/// <para>PyTorch stores each weight transposed. Its LSTM orders the gates i, f, g, o, this library's f, g, i, o (the
/// book's), with one bias: import reorders, transposes and sums the two biases; export writes the bias as
/// <c>bias_ih</c> and zeros as <c>bias_hh</c>.</para>
/// <para>Both GRUs order the gates r, z, n. PyTorch's b_ih and b_hh sum for r and z; for n, b_in stays in the input bias
/// and b_hn is <see cref="TimeGRU.Bhn"/>; export writes <c>bias_hh</c> as [0, 0, b_hn].</para>
/// <para>The weights are tied when <c>decoder.weight</c> equals <c>encoder.weight</c>.</para>
/// </remarks>
public static class TorchStateDict
{
    // Our gate q is PyTorch's gate TorchGate[q]: LSTM f, g, i, o from PyTorch's i, f, g, o; GRU r, z, n from r, z, n.
    private static readonly int[] LstmGates = [1, 2, 0, 3], GruGates = [0, 1, 2];

    /// <summary>Whether the tensors are in PyTorch's layout (they have <c>encoder.weight</c>).</summary>
    public static bool IsTorchLayout(IReadOnlyList<NamedTensor> tensors) => tensors.Any(t => t.Name == "encoder.weight");

    /// <summary>
    /// Builds an LSTM or GRU <see cref="Rnnlm"/> from PyTorch tensors (the cell from the height of <c>rnn.weight_hh_l0</c>:
    /// 4H or 3H); <paramref name="dropout"/> is not stored by PyTorch.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor is missing, repeated, of a shape that does not fit, or holds a non-finite value; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dropout"/> is outside [0, 1).</exception>
    public static Rnnlm Import(IReadOnlyList<NamedTensor> tensors, float dropout = 0f)
    {
        if (!(dropout >= 0f && dropout < 1f))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "The dropout ratio must be in [0, 1).");
        var byName = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            if (!byName.TryAdd(tensor.Name, tensor))
                throw new InvalidDataException($"tensor '{tensor.Name}' appears twice in the PyTorch state dict.");
            if (Elementwise.IndexOfNonFinite(tensor.Data.Span) is >= 0 and var bad)
                throw new InvalidDataException($"tensor '{tensor.Name}' has the non-finite value {tensor.Data.Span[bad]} at index {bad}.");
        }
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
        int H = hh0.Shape.Length == 2 && hh0.Shape[1] > 0 ? hh0.Shape[1] : throw new InvalidDataException("tensor 'rnn.weight_hh_l0' must be 2-D [GH, H].");
        var cell = hh0.Shape[0] == 4 * H ? RecurrentCell.Lstm
            : hh0.Shape[0] == 3 * H ? RecurrentCell.Gru
            : throw new InvalidDataException($"tensor 'rnn.weight_hh_l0' has shape [{string.Join(", ", hh0.Shape)}]: neither an LSTM's [4H, H] nor a GRU's [3H, H].");
        int gates = cell == RecurrentCell.Lstm ? 4 : 3;
        var order = cell == RecurrentCell.Lstm ? LstmGates : GruGates;
        int layers = 0;
        while (byName.ContainsKey($"rnn.weight_ih_l{layers}"))
            layers++;
        var decoder = Get("decoder.weight", V, H);
        bool tied = D == H && decoder.Data.Span.SequenceEqual(encoder.Data.Span);

        if (layers == 0)
            throw new InvalidDataException("tensor 'rnn.weight_ih_l0' is missing from the PyTorch state dict.");
        if (byName.Keys.FirstOrDefault(k => !Expected(k, layers)) is { } extra)
            throw new InvalidDataException($"tensor '{extra}' is not part of a word language model of {layers} layers.");
        Rnnlm model;
        try
        {
            model = new Rnnlm(new RnnlmConfig(V, D, H, layers, dropout, tied, cell));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"the PyTorch state dict describes a model that cannot be built ({e.Message}).", e);
        }
        encoder.Data.Span.CopyTo(model.Embedding.W.Value);
        for (int l = 0; l < layers; l++)
        {
            int input = l == 0 ? D : H;
            ImportLayer((RecurrentLayer)model.RecurrentLayers[l], Get($"rnn.weight_ih_l{l}", gates * H, input).Data.Span,
                Get($"rnn.weight_hh_l{l}", gates * H, H).Data.Span, Get($"rnn.bias_ih_l{l}", gates * H).Data.Span,
                Get($"rnn.bias_hh_l{l}", gates * H).Data.Span);
        }
        if (!tied)
            Transpose(decoder.Data.Span, V, H, model.Affine.W.Value);
        Get("decoder.bias", V).Data.Span.CopyTo(model.Affine.B.Value);
        return model;
    }

    /// <summary>Whether <paramref name="name"/> is a tensor of the word-language-model layout with <paramref name="layers"/> layers.</summary>
    private static bool Expected(string name, int layers)
    {
        if (name is "encoder.weight" or "decoder.weight" or "decoder.bias")
            return true;
        foreach (var prefix in (string[])["rnn.weight_ih_l", "rnn.weight_hh_l", "rnn.bias_ih_l", "rnn.bias_hh_l"])
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(name.AsSpan(prefix.Length), System.Globalization.NumberStyles.None, null, out int l) && l < layers)
                return true;
        }
        return false;
    }

    /// <summary>
    /// Copies the weights of one layer of PyTorch's <c>nn.LSTM</c> or <c>nn.GRU</c> into <paramref name="layer"/>:
    /// <c>weight_ih_l{k}</c> [GH,D], <c>weight_hh_l{k}</c> [GH,H], <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> [GH]
    /// (for the backward direction of a bidirectional layer, the <c>*_reverse</c> tensors into
    /// <see cref="TimeBidirectional.BackwardLayer"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The layer is a plain RNN, or a tensor's size does not fit it.</exception>
    public static void ImportLayer(RecurrentLayer layer, ReadOnlySpan<float> weightIh, ReadOnlySpan<float> weightHh, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh)
    {
        int[] order = layer switch
        {
            TimeLSTM => LstmGates,
            TimeGRU => GruGates,
            _ => throw new ArgumentException("Only LSTM and GRU layers have PyTorch weights.", nameof(layer)),
        };
        int D = layer.InputSize, H = layer.HiddenSize, gates = order.Length;
        if (weightIh.Length != gates * H * D || weightHh.Length != gates * H * H || biasIh.Length != gates * H || biasHh.Length != gates * H)
            throw new ArgumentException($"The tensors do not fit a layer of D = {D}, H = {H}: [{gates}H, D], [{gates}H, H], [{gates}H], [{gates}H] expected.", nameof(weightIh));
        FromTorch(weightIh, D, H, order, layer.Wx.Value);
        FromTorch(weightHh, H, H, order, layer.Wh.Value);
        var b = layer.B.Value;
        for (int q = 0; q < gates; q++)
        {
            // The GRU's b_hn stays apart: it sits inside r ⊙ (…).
            bool summed = layer is TimeLSTM || q < 2;
            for (int j = 0; j < H; j++)
                b[q * H + j] = biasIh[order[q] * H + j] + (summed ? biasHh[order[q] * H + j] : 0f);
        }
        if (layer is TimeGRU gru)
            biasHh.Slice(2 * H, H).CopyTo(gru.Bhn.Value);
    }

    /// <summary>The model's weights in PyTorch's layout (LSTM and GRU models).</summary>
    /// <exception cref="ArgumentException">The model stacks plain RNN layers.</exception>
    public static IReadOnlyList<NamedTensor> Export(Rnnlm model)
    {
        var config = model.Config;
        if (config.Cell == RecurrentCell.Rnn)
            throw new ArgumentException("Only LSTM and GRU models have a PyTorch word-language-model layout.", nameof(model));
        int V = config.VocabularySize, D = config.EmbeddingSize, H = config.HiddenSize;
        int gates = config.Cell == RecurrentCell.Lstm ? 4 : 3;
        var order = config.Cell == RecurrentCell.Lstm ? LstmGates : GruGates;
        var embedding = model.Embedding.W.Value;
        var tensors = new List<NamedTensor> { new("encoder.weight", [V, D], embedding.ToArray()) };
        for (int l = 0; l < config.Layers; l++)
        {
            int input = l == 0 ? D : H;
            var layer = (RecurrentLayer)model.RecurrentLayers[l];
            tensors.Add(new($"rnn.weight_ih_l{l}", [gates * H, input], ToTorch(layer.Wx.Value, input, H, order)));
            tensors.Add(new($"rnn.weight_hh_l{l}", [gates * H, H], ToTorch(layer.Wh.Value, H, H, order)));
            var b = layer.B.Value;
            var bih = new float[gates * H];
            for (int q = 0; q < gates; q++)
                b.Slice(q * H, H).CopyTo(bih.AsSpan(order[q] * H));
            var bhh = new float[gates * H];
            if (layer is TimeGRU gru)
                gru.Bhn.Value.CopyTo(bhh.AsSpan(2 * H));
            tensors.Add(new($"rnn.bias_ih_l{l}", [gates * H], bih));
            tensors.Add(new($"rnn.bias_hh_l{l}", [gates * H], bhh));
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

    /// <summary>Ours W[r, q·H + j] = PyTorch's w[order[q]·H + j, r], for a [GH, rows] PyTorch weight.</summary>
    private static void FromTorch(ReadOnlySpan<float> torch, int rows, int H, int[] order, Span<float> ours)
    {
        int G = order.Length * H;
        for (int r = 0; r < rows; r++)
        {
            for (int q = 0; q < order.Length; q++)
            {
                for (int j = 0; j < H; j++)
                    ours[r * G + q * H + j] = torch[(order[q] * H + j) * rows + r];
            }
        }
    }

    private static float[] ToTorch(ReadOnlySpan<float> ours, int rows, int H, int[] order)
    {
        int G = order.Length * H;
        var torch = new float[G * rows];
        for (int r = 0; r < rows; r++)
        {
            for (int q = 0; q < order.Length; q++)
            {
                for (int j = 0; j < H; j++)
                    torch[(order[q] * H + j) * rows + r] = ours[r * G + q * H + j];
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
