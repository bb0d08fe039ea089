#!/usr/bin/env python3
"""Two builds of the CLI side by side: `lstm bench train` of each, alternating per workload and round (A B A B ...)
so both see the same machine state. Prints a Markdown table of medians and of the median per-round ratio B / A.

Keep a copy of the old build first, then rebuild; from the repository root:
  cp -r src/Lstm.Cli/bin/Release/net10.0 /tmp/before
  /usr/bin/python3 benchmarks/compare_builds.py /tmp/before/Lstm.Cli.dll src/Lstm.Cli/bin/Release/net10.0/Lstm.Cli.dll --rounds 7
"""
import argparse, os, re, statistics, subprocess, time

ap = argparse.ArgumentParser()
ap.add_argument("a", help="the baseline build's Lstm.Cli.dll")
ap.add_argument("b", help="the build to compare with it")
ap.add_argument("--workloads", default="W1,W2,W3-512")
ap.add_argument("--rounds", type=int, default=7)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seconds", type=float, default=2.0)
ap.add_argument("--raw", action="store_true", help="also print every round's A/B tokens/s")
args = ap.parse_args()


def run(cli, name):
    seconds = str(args.seconds * (4 if name in ("W2", "W3-1024") else 1))
    out = subprocess.run(["dotnet", cli, "bench", "train", "--workload", name, "--threads", str(args.threads), "--seconds", seconds],
                         check=True, capture_output=True, text=True).stdout
    return float(re.search(r"([0-9.]+) tokens/s", out).group(1))


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"machine: {cpu}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; {args.threads} threads; {args.rounds} rounds")
print()
print("| workload | A tokens/s | B tokens/s | B / A (medians) | B / A (median of rounds) |")
print("|---|---:|---:|---:|---:|")
for name in args.workloads.split(","):
    a, b = [], []
    for _ in range(args.rounds):
        a.append(run(args.a, name))
        b.append(run(args.b, name))
    ratios = [y / x for x, y in zip(a, b)]
    if args.raw:
        print("  rounds: " + ", ".join(f"{x:,.0f}/{y:,.0f}" for x, y in zip(a, b)), flush=True)
    print(f"| {name} | {statistics.median(a):,.0f} | {statistics.median(b):,.0f} | {statistics.median(b) / statistics.median(a):.3f} "
          f"| {statistics.median(ratios):.3f} |", flush=True)
