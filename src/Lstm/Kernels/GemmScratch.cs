using System.Runtime.CompilerServices;

namespace Lstm.Kernels;

/// <summary>
/// One thread's packing buffers, grown on demand and then reused, so a product allocates nothing once warm.
/// Pinned arrays keep them movable-free without native memory; pointers are rounded up to 64 bytes.
/// </summary>
internal sealed unsafe class GemmScratch
{
    [ThreadStatic]
    private static GemmScratch? t_current;

    private Buffer _a, _b, _edge, _tile;

    public static GemmScratch Current => t_current ??= new GemmScratch();

    public float* PackedA(int floats) => _a.Get(floats);

    public float* PackedB(int floats) => _b.Get(floats);

    public float* Edge(int floats) => _edge.Get(floats);

    public float* Tile(int floats) => _tile.Get(floats);

    private struct Buffer
    {
        private float[]? _array;
        private float* _aligned;
        private int _capacity;

        public float* Get(int floats)
        {
            if (floats > _capacity)
            {
                const int align = 16; // floats in 64 bytes
                _array = GC.AllocateUninitializedArray<float>(floats + align, pinned: true);
                var start = (nint)Unsafe.AsPointer(ref _array[0]);
                _aligned = (float*)((start + 63) & ~(nint)63);
                _capacity = floats;
            }
            return _aligned;
        }
    }
}
