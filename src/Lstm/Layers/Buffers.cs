namespace Lstm.Layers;

/// <summary>Layer buffers sized on first use for a batch shape and reused while it stays the same.</summary>
internal static class Buffers
{
    /// <summary>Returns <paramref name="buffer"/>, reallocated only when its length differs from <paramref name="length"/>.</summary>
    public static T[] Ensure<T>(ref T[] buffer, int length)
    {
        if (buffer.Length != length)
            buffer = new T[length];
        return buffer;
    }
}
