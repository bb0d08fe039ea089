using System.Runtime.CompilerServices;
using Lstm.Kernels;

namespace Lstm.Tests;

internal static class EmulatedPaths
{
    /// <summary>The tests check every GEMM path on every machine, emulated where the hardware lacks it.</summary>
    [ModuleInitializer]
    internal static void Allow() => Gemm.AllowEmulatedPaths = true;
}
