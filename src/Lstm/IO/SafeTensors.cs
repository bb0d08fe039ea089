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
        using var file = SafeTensorsFile.Open(path);
        var tensors = file.Tensors.Select(t => new NamedTensor(t.Name, t.Shape, file.Read(t))).ToList();
        return (tensors, file.Metadata);
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
