using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Lstm.IO;

/// <summary>A named tensor: a shape and its values, row-major.</summary>
/// <param name="Name">The tensor's name, e.g. <c>lstm0.Wx</c>.</param>
/// <param name="Shape">Its dimensions.</param>
/// <param name="Data">Its values; as many as the product of <paramref name="Shape"/>.</param>
public sealed record NamedTensor(string Name, int[] Shape, ReadOnlyMemory<float> Data);

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header (<c>__metadata__</c> strings, then for
/// each tensor its dtype, shape and byte offsets into the data), then the raw little-endian data. Loading executes
/// nothing. Files are written atomically and validated on load.
/// </summary>
public static class SafeTensors
{
    /// <summary>
    /// Writes <paramref name="tensors"/> (as F32) and <paramref name="metadata"/> to <paramref name="path"/> with
    /// <see cref="AtomicFile"/>, so a crash never leaves a half-written file under that name.
    /// </summary>
    /// <exception cref="ArgumentException">A name repeats, or a tensor's data does not match its shape.</exception>
    public static void Write(string path, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach (var (key, value) in metadata)
                json.WriteString(key, value);
            json.WriteEndObject();
            long offset = 0;
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var tensor in tensors)
            {
                if (!names.Add(tensor.Name) || tensor.Name == "__metadata__")
                    throw new ArgumentException($"Tensor name '{tensor.Name}' is used twice or reserved.", nameof(tensors));
                long count = tensor.Shape.Aggregate(1L, (a, d) => a * d);
                if (tensor.Shape.Any(d => d < 0) || count != tensor.Data.Length)
                    throw new ArgumentException($"Tensor '{tensor.Name}' has {tensor.Data.Length} values but shape [{string.Join(", ", tensor.Shape)}].", nameof(tensors));
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in tensor.Shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + (4 * count));
                json.WriteEndArray();
                json.WriteEndObject();
                offset += 4 * count;
            }
            json.WriteEndObject();
        }

        // Pad the header with spaces so the data starts 8-byte aligned, as the reference implementation does.
        while (header.Length % 8 != 0)
            header.WriteByte((byte)' ');

        AtomicFile.Write(path, temporary =>
        {
            using var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            file.Write(length);
            header.Position = 0;
            header.CopyTo(file);
            var buffer = new byte[1 << 16];
            foreach (var tensor in tensors)
                WriteFloats(file, tensor.Data.Span, buffer);
        });
    }

    /// <summary>Reads and validates a safetensors file; F16 and BF16 tensors are widened to float.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message names the problem and the tensor.</exception>
    public static (IReadOnlyList<NamedTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint not found: {path}", path);
        byte[] bytes = File.ReadAllBytes(path);
        string name = Path.GetFileName(path);
        if (bytes.Length < 8)
            throw new InvalidDataException($"{name}: {bytes.Length} bytes is too short for a safetensors header length (8 bytes); the file is truncated.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
            throw new InvalidDataException($"{name}: the header length {headerLength} runs past the end of the {bytes.Length}-byte file; the file is truncated or not safetensors.");
        int dataStart = 8 + (int)headerLength;
        long dataLength = bytes.Length - dataStart;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{name}: the header is not valid JSON ({e.Message}).", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{name}: the header is not a JSON object.");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<NamedTensor>();
            var ranges = new List<(long Begin, long End, string Name)>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    foreach (var entry in property.Value.EnumerateObject())
                        metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
                    continue;
                }
                var (tensor, begin, end) = ReadTensor(name, property, bytes, dataStart, dataLength);
                tensors.Add(tensor);
                ranges.Add((begin, end, tensor.Name));
            }

            ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
            for (int i = 1; i < ranges.Count; i++)
            {
                if (ranges[i].Begin < ranges[i - 1].End)
                    throw new InvalidDataException($"{name}: tensor '{ranges[i].Name}' overlaps tensor '{ranges[i - 1].Name}' in the data.");
            }
            return (tensors, metadata);
        }
    }

    private static (NamedTensor, long, long) ReadTensor(string file, JsonProperty property, byte[] bytes, int dataStart, long dataLength)
    {
        string tensor = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
            throw new InvalidDataException($"{file}: tensor '{tensor}' needs dtype, shape and two data_offsets.");

        string dtype = dtypeElement.GetString()!;
        int size = dtype switch
        {
            "F32" => 4,
            "F16" or "BF16" => 2,
            _ => throw new InvalidDataException($"{file}: tensor '{tensor}' has dtype {dtype}; only F32, F16 and BF16 can be read."),
        };
        var shape = new List<int>();
        long count = 1;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int dim) || dim < 0)
                throw new InvalidDataException($"{file}: tensor '{tensor}' has an invalid shape {shapeElement.GetRawText()}.");
            shape.Add(dim);
            count *= dim;
            if (count > int.MaxValue)
                throw new InvalidDataException($"{file}: tensor '{tensor}' with shape {shapeElement.GetRawText()} is too large.");
        }
        if (!offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end)
            || begin < 0 || end < begin || end > dataLength)
            throw new InvalidDataException($"{file}: tensor '{tensor}' has data_offsets {offsetsElement.GetRawText()} outside the {dataLength}-byte data.");
        if (end - begin != count * size)
            throw new InvalidDataException($"{file}: tensor '{tensor}' has {end - begin} bytes of data; shape {shapeElement.GetRawText()} of {dtype} needs {count * size}.");

        var data = new float[count];
        var source = bytes.AsSpan(dataStart + (int)begin, (int)(end - begin));
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = dtype switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]),
                _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]) << 16),
            };
        }
        return (new NamedTensor(tensor, [.. shape], data), begin, end);
    }

    private static void WriteFloats(Stream stream, ReadOnlySpan<float> values, byte[] buffer)
    {
        while (!values.IsEmpty)
        {
            int n = Math.Min(values.Length, buffer.Length / 4);
            for (int i = 0; i < n; i++)
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), values[i]);
            stream.Write(buffer, 0, 4 * n);
            values = values[n..];
        }
    }
}
