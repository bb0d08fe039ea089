using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Lstm.IO;

/// <summary>Where one tensor of a <see cref="SafeTensorsFile"/> lies: its dtype, shape and byte range in the data.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="DType"><c>F32</c>, <c>F16</c> or <c>BF16</c>.</param>
/// <param name="Shape">Its dimensions.</param>
/// <param name="Begin">Its first byte, counted from the start of the data.</param>
/// <param name="End">One past its last byte.</param>
public sealed record SafeTensorInfo(string Name, string DType, int[] Shape, long Begin, long End)
{
    /// <summary>The number of values: the product of <see cref="Shape"/>.</summary>
    public long Count => Shape.Aggregate(1L, (a, d) => a * d);
}

/// <summary>
/// An open safetensors file whose header has been read and validated as the reference implementation does: a header
/// of at most 100 MB that is a JSON object of string metadata and tensors, each of a known dtype whose shape matches its
/// byte range, the ranges laid end to end covering the data exactly. Tensors are then read on demand, straight from the
/// file into the caller's buffer, so files larger than 2 GB load and nothing is read twice.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>The largest header the reference implementation accepts.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    private readonly SafeFileHandle _handle;
    private readonly long _dataStart;

    private SafeTensorsFile(SafeFileHandle handle, string name, long dataStart, long dataLength,
        IReadOnlyDictionary<string, string> metadata, IReadOnlyList<SafeTensorInfo> tensors)
    {
        (_handle, FileName, _dataStart, DataLength, Metadata, Tensors) = (handle, name, dataStart, dataLength, metadata, tensors);
    }

    /// <summary>The file's name, which every error message starts with.</summary>
    public string FileName { get; }

    /// <summary>The bytes after the header.</summary>
    public long DataLength { get; }

    /// <summary>The <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors, in the header's order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>Opens <paramref name="path"/> and validates its header; no tensor is read yet.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message names the problem and the tensor.</exception>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint not found: {path}", path);
        string name = Path.GetFileName(path);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{name}: cannot be read ({e.Message}).", e);
        }
        try
        {
            return Validate(handle, name);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static SafeTensorsFile Validate(SafeFileHandle handle, string name)
    {
        long fileLength = RandomAccess.GetLength(handle);
        Span<byte> prefix = stackalloc byte[8];
        if (fileLength < 8 || ReadExactly(handle, prefix, 0) < 8)
            throw new InvalidDataException($"{name}: {fileLength} bytes is too short for a safetensors header length (8 bytes); the file is truncated.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"{name}: the header length {headerLength} is over the {MaxHeaderBytes:N0} bytes a safetensors header may have.");
        if (headerLength > (ulong)(fileLength - 8))
            throw new InvalidDataException($"{name}: the header length {headerLength} runs past the end of the {fileLength}-byte file; the file is truncated or not safetensors.");
        var header = new byte[headerLength];
        if (ReadExactly(handle, header, 8) < header.Length)
            throw new InvalidDataException($"{name}: the file ended while its header was read.");
        long dataStart = 8 + (long)headerLength, dataLength = fileLength - dataStart;
        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw new InvalidDataException($"{name}: the header is not valid UTF-8.");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
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
            var tensors = new List<SafeTensorInfo>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw new InvalidDataException($"{name}: the header names '{property.Name}' twice.");
                if (property.Name == "__metadata__")
                    ReadMetadata(name, property.Value, metadata);
                else
                    tensors.Add(ReadInfo(name, property));
            }

            // The reference implementation's rule: the tensors lie end to end and cover the data exactly.
            long expected = 0;
            foreach (var tensor in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
            {
                if (tensor.Begin != expected)
                    throw new InvalidDataException(tensor.Begin < expected
                        ? $"{name}: tensor '{tensor.Name}' overlaps another tensor in the data."
                        : $"{name}: the data has {tensor.Begin - expected} bytes that no tensor covers before tensor '{tensor.Name}'.");
                expected = tensor.End;
            }
            if (expected != dataLength)
                throw new InvalidDataException(expected < dataLength
                    ? $"{name}: the data has {dataLength - expected} bytes after the last tensor; the file is not safetensors or was altered."
                    : $"{name}: the tensors need {expected} bytes of data; the file has {dataLength}: it is truncated.");
            return new SafeTensorsFile(handle, name, dataStart, dataLength, metadata, tensors);
        }
    }

    private static void ReadMetadata(string file, JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{file}: __metadata__ is not a JSON object.");
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{file}: metadata '{entry.Name}' is not a string.");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw new InvalidDataException($"{file}: metadata '{entry.Name}' appears twice.");
        }
    }

    private static SafeTensorInfo ReadInfo(string file, JsonProperty property)
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
        int size = ElementSize(dtype) is > 0 and var s ? s
            : throw new InvalidDataException($"{file}: tensor '{tensor}' has dtype {dtype}; only F32, F16 and BF16 can be read.");
        var shape = new List<int>();
        long count = 1;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int dim) || dim < 0)
                throw new InvalidDataException($"{file}: tensor '{tensor}' has an invalid shape {shapeElement.GetRawText()}.");
            shape.Add(dim);
            count *= dim;
            if (count > Array.MaxLength)
                throw new InvalidDataException($"{file}: tensor '{tensor}' with shape {shapeElement.GetRawText()} has more values than one array holds.");
        }
        if (!offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new InvalidDataException($"{file}: tensor '{tensor}' has invalid data_offsets {offsetsElement.GetRawText()}.");
        if (end - begin != count * size)
            throw new InvalidDataException($"{file}: tensor '{tensor}' has {end - begin} bytes of data; shape {shapeElement.GetRawText()} of {dtype} needs {count * size}.");
        return new SafeTensorInfo(tensor, dtype, [.. shape], begin, end);
    }

    private static int ElementSize(string dtype) => dtype switch
    {
        "F32" => 4,
        "F16" or "BF16" => 2,
        _ => 0,
    };

    /// <summary>The tensor named <paramref name="name"/>, or null.</summary>
    public SafeTensorInfo? Find(string name) => Tensors.FirstOrDefault(t => t.Name == name);

    /// <summary>Reads a tensor's values, widened to float.</summary>
    /// <exception cref="InvalidDataException">The file cannot be read any more (it changed or shrank since it was opened).</exception>
    public float[] Read(SafeTensorInfo tensor)
    {
        var values = new float[tensor.Count];
        Read(tensor, values);
        return values;
    }

    /// <summary>Reads a tensor's values, widened to float, into <paramref name="destination"/> (exactly its <see cref="SafeTensorInfo.Count"/> long).</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has another length.</exception>
    /// <exception cref="InvalidDataException">The file cannot be read any more (it changed or shrank since it was opened).</exception>
    public void Read(SafeTensorInfo tensor, Span<float> destination)
    {
        if (destination.Length != tensor.Count)
            throw new ArgumentException($"Tensor '{tensor.Name}' has {tensor.Count} values; the destination has {destination.Length}.", nameof(destination));
        int size = ElementSize(tensor.DType);
        long offset = _dataStart + tensor.Begin;
        const int Chunk = 1 << 18; // values per read: 1 MB of F32
        byte[]? narrow = size == 2 ? new byte[2 * Math.Min(Chunk, destination.Length)] : null;
        while (!destination.IsEmpty)
        {
            var part = destination[..Math.Min(Chunk, destination.Length)];
            var bytes = narrow is null ? MemoryMarshal.AsBytes(part) : narrow.AsSpan(0, 2 * part.Length);
            try
            {
                if (ReadExactly(_handle, bytes, offset) < bytes.Length)
                    throw new InvalidDataException($"{FileName}: the file ended inside tensor '{tensor.Name}'; it changed since it was opened.");
            }
            catch (IOException e)
            {
                throw new InvalidDataException($"{FileName}: tensor '{tensor.Name}' cannot be read ({e.Message}).", e);
            }
            Widen(tensor.DType, bytes, part);
            offset += bytes.Length;
            destination = destination[part.Length..];
        }
    }

    /// <summary>Little-endian F32 (in place), F16 or BF16 bytes to floats.</summary>
    private static void Widen(string dtype, ReadOnlySpan<byte> bytes, Span<float> values)
    {
        switch (dtype)
        {
            case "F32":
                if (!BitConverter.IsLittleEndian)
                    BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(values), MemoryMarshal.Cast<float, int>(values));
                break;
            case "F16":
                for (int i = 0; i < values.Length; i++)
                    values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                break;
            default:
                for (int i = 0; i < values.Length; i++)
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                break;
        }
    }

    private static int ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();
}
