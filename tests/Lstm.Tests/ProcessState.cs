namespace Lstm.Tests;

/// <summary>Test classes that change process-wide state (the current folder, <c>Gemm.Threads</c>) run alone, not beside other classes.</summary>
[CollectionDefinition(nameof(ProcessState), DisableParallelization = true)]
public sealed class ProcessState;
