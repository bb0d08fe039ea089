using Lstm.Kernels;

namespace Lstm.Tests.Kernels;

[Collection(nameof(ProcessState))]
public sealed class GemmPathTests
{
    [Theory]
    [InlineData(GemmPath.Vector512)]
    [InlineData(GemmPath.Vector256)]
    [InlineData(GemmPath.Portable)]
    public void ForcingAPathTheHardwareLacks_IsAnError_NotAnEmulatedSlowdown(GemmPath path)
    {
        float[] a = [1f, 2f], b = [3f, 4f], c = new float[1];
        Gemm.AllowEmulatedPaths = false;
        try
        {
            if (Gemm.IsAccelerated(path))
            {
                Gemm.MatMul(a, 2, Transpose.No, b, 1, Transpose.No, 1, 1, 2, c, 1, new GemmOptions(1, path));
                Assert.Equal(11f, c[0]);
            }
            else
            {
                var e = Assert.Throws<ArgumentException>(() => Gemm.MatMul(a, 2, Transpose.No, b, 1, Transpose.No, 1, 1, 2, c, 1, new GemmOptions(1, path)));
                Assert.Contains("not accelerated", e.Message);
            }
            Assert.True(Gemm.IsAccelerated(Gemm.BestPath));
            Assert.True(Gemm.IsAccelerated(GemmPath.Portable));
        }
        finally
        {
            Gemm.AllowEmulatedPaths = true;
        }
    }
}
