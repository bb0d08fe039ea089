using System.Diagnostics;

namespace Lstm.Kernels;

/// <summary>
/// Long-lived helper threads for GEMM. Threads claim chunks of a job one at a time, and the calling thread claims
/// too, so a helper that is late (asleep, or its core taken by another process) costs nothing: its chunks are
/// done by whoever gets there first. Helpers spin briefly after a job, because products come in quick
/// succession inside a training step, then sleep.
/// </summary>
internal static unsafe class GemmWorkers
{
    private static readonly Lock s_gate = new();
    private static readonly List<SemaphoreSlim> s_wake = [];

    // The current job, written only while no chunk of the previous one is running.
    private static GemmJob s_job;
    private static delegate*<in GemmJob, int, void> s_run;
    private static int s_chunkCount;
    private static int s_remaining;

    // High 32 bits: job number; low 32 bits: next unclaimed chunk. One word, so a claim can never
    // take a chunk of a job other than the one whose fields the claimer read.
    private static long s_state;

    private static readonly long s_spinTicks = Stopwatch.Frequency / 5000; // 200 µs

    /// <summary>Runs every chunk of <paramref name="job"/> on up to <paramref name="threads"/> threads; false if the helpers are busy with another caller's product.</summary>
    public static bool TryRun(delegate*<in GemmJob, int, void> run, in GemmJob job, int threads)
    {
        if (!s_gate.TryEnter())
            return false;
        try
        {
            int helpers = Math.Min(threads, job.ChunkCount) - 1;
            EnsureHelpers(helpers);
            s_job = job;
            s_run = run;
            s_chunkCount = job.ChunkCount;
            Volatile.Write(ref s_remaining, job.ChunkCount);
            int id = (int)(Volatile.Read(ref s_state) >> 32) + 1;
            Volatile.Write(ref s_state, (long)id << 32);
            for (int i = 0; i < helpers; i++)
            {
                // One pending wake is enough: a helper always reads the newest job after waking.
                if (s_wake[i].CurrentCount == 0)
                    s_wake[i].Release();
            }

            ClaimChunks(id);
            var spin = new SpinWait();
            while (Volatile.Read(ref s_remaining) > 0)
                spin.SpinOnce(sleep1Threshold: -1);
            return true;
        }
        finally
        {
            s_gate.Exit();
        }
    }

    private static void ClaimChunks(int id)
    {
        while (true)
        {
            long state = Volatile.Read(ref s_state);
            int chunk = (int)state;
            if ((int)(state >> 32) != id || chunk >= s_chunkCount)
                return;
            if (Interlocked.CompareExchange(ref s_state, state + 1, state) != state)
                continue;
            s_run(s_job, chunk);
            Interlocked.Decrement(ref s_remaining);
        }
    }

    private static void EnsureHelpers(int count)
    {
        while (s_wake.Count < count)
        {
            var wake = new SemaphoreSlim(0);
            s_wake.Add(wake);
            var thread = new Thread(() => HelperLoop(wake)) { IsBackground = true, Name = $"Lstm GEMM {s_wake.Count}" };
            thread.Start();
        }
    }

    private static void HelperLoop(SemaphoreSlim wake)
    {
        int seen = 0;
        while (true)
        {
            wake.Wait();
            do
            {
                int id = (int)(Volatile.Read(ref s_state) >> 32);
                seen = id;
                ClaimChunks(id);
            }
            while (SpinForNextJob(seen));
        }
    }

    /// <summary>Spins up to 200 µs for a job newer than <paramref name="seen"/>.</summary>
    private static bool SpinForNextJob(int seen)
    {
        long deadline = Stopwatch.GetTimestamp() + s_spinTicks;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if ((int)(Volatile.Read(ref s_state) >> 32) != seen)
                return true;
            Thread.SpinWait(20);
        }
        return false;
    }
}
