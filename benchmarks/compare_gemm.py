#!/usr/bin/env python3
"""Side-by-side SGEMM comparison: this library's `lstm bench gemm` against OpenBLAS through NumPy, alternating
per shape and round so both see the same machine state. Prints a Markdown table of medians and ratios.

Needs Debian's python3-numpy and libopenblas0-pthread (not a project dependency). Run from the repository root:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 benchmarks/compare_gemm.py --threads 1 2 --rounds 3
"""
import argparse, os, platform, re, statistics, subprocess, sys, time

SHAPES = [  # name, M, N, K, transA, transB   (op(A) is M×K, op(B) is K×N)
    ("sq1024", 1024, 1024, 1024, False, False),
    ("sq2048", 2048, 2048, 2048, False, False),
    ("W2 affine fwd", 700, 10000, 650, False, False),
    ("W2 affine dW (Aᵀ)", 650, 10000, 700, True, False),
    ("W2 affine dx (Bᵀ)", 700, 650, 10000, False, True),
    ("W1 affine fwd", 700, 10000, 100, False, False),
    ("W2 x-proj", 700, 2600, 650, False, False),
    ("W2 lstm step", 20, 2600, 650, False, False),
    ("W1 lstm step", 20, 400, 100, False, False),
    ("W3-512 step", 32, 2048, 512, False, False),
]

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--seconds", type=float, default=1.0)
ap.add_argument("--only", default="", help="substring filter on shape names")
ap.add_argument("--cli", default="src/Lstm.Cli/bin/Release/net10.0/Lstm.Cli")
args = ap.parse_args()


def ours(m, n, k, ta, tb, threads):
    cmd = [args.cli, "bench", "gemm", "--m", str(m), "--n", str(n), "--k", str(k), "--threads", str(threads),
           "--seconds", str(args.seconds)] + (["--trans-a"] if ta else []) + (["--trans-b"] if tb else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return float(re.search(r"([0-9.]+) GFLOP/s", out).group(1))


def openblas(m, n, k, ta, tb, threads):
    # A child process per measurement, so the thread count is set before OpenBLAS starts.
    code = f"""
import numpy as np, time
r = np.random.RandomState(0)
A = r.rand(*(({k},{m}) if {ta} else ({m},{k}))).astype(np.float32)
B = r.rand(*(({n},{k}) if {tb} else ({k},{n}))).astype(np.float32)
a = A.T if {ta} else A; b = B.T if {tb} else B
C = np.empty(({m},{n}), np.float32)
f = lambda: np.matmul(a, b, out=C)
t0 = time.perf_counter()
while time.perf_counter() - t0 < {min(0.3, args.seconds / 3)}: f()
ts = []; t0 = time.perf_counter()
while len(ts) < 5 or time.perf_counter() - t0 < {args.seconds}:
    s = time.perf_counter(); f(); ts.append(time.perf_counter() - s)
ts.sort(); print(2.0 * {m} * {n} * {k} / ts[len(ts) // 2] / 1e9)
"""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return float(subprocess.run(["/usr/bin/python3", "-c", code], check=True, capture_output=True, text=True, env=env).stdout)


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(f"machine: {cpu}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; medians of {args.rounds} rounds of {args.seconds} s each")
print()
# The machine's speed can change within seconds (other tenants), so besides the ratio of the medians the table gives
# the median of the per-round ratios: each round measures both libraries back to back, in the same state.
print("| shape [M×K]·[K×N] | threads | Lstm GFLOP/s | OpenBLAS GFLOP/s | ratio of medians | median of round ratios |")
print("|---|---:|---:|---:|---:|---:|")
for name, m, n, k, ta, tb in SHAPES:
    if args.only and args.only not in name:
        continue
    for threads in args.threads:
        mine, theirs = [], []
        for _ in range(args.rounds):
            mine.append(ours(m, n, k, ta, tb, threads))
            theirs.append(openblas(m, n, k, ta, tb, threads))
        a, b = statistics.median(mine), statistics.median(theirs)
        paired = statistics.median(x / y for x, y in zip(mine, theirs))
        print(f"| {name} [{m}×{k}]·[{k}×{n}] | {threads} | {a:.1f} | {b:.1f} | {a / b:.2f} | {paired:.2f} |", flush=True)
