#!/usr/bin/env python3
"""Side-by-side training throughput: `lstm bench train` against PyTorch CPU (../shared/bench/bench_torch.py),
alternating per workload and round so both see the same machine state. Prints a Markdown table of medians.

Needs Debian's python3-torch (not a project dependency). Run from the repository root:
  /usr/bin/python3 benchmarks/compare_train.py --rounds 3
PyTorch runs with OMP_WAIT_POLICY=PASSIVE and 2 threads, its best setting on this machine.
"""
import argparse, json, os, re, statistics, subprocess, time

WORKLOADS = [  # name, bench_torch.py arguments
    ("W1", ["--workload", "W1"]),
    ("W2", ["--workload", "W2", "--iters", "10"]),
    ("W3-128", ["--workload", "W3", "--dh", "128"]),
    ("W3-512", ["--workload", "W3", "--dh", "512"]),
    ("W3-1024", ["--workload", "W3", "--dh", "1024", "--iters", "10"]),
]

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--only", default="")
ap.add_argument("--cli", default="src/Lstm.Cli/bin/Release/net10.0/Lstm.Cli")
ap.add_argument("--torch-script", default="../shared/bench/bench_torch.py")
args = ap.parse_args()


def ours(name):
    seconds = "20" if name in ("W2", "W3-1024") else "6"
    out = subprocess.run([args.cli, "bench", "train", "--workload", name, "--threads", str(args.threads), "--seconds", seconds],
                         check=True, capture_output=True, text=True).stdout
    return float(re.search(r"([0-9.]+) tokens/s", out).group(1))


def torch(torch_args):
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    out = subprocess.run(["/usr/bin/python3", args.torch_script, *torch_args, "--threads", str(args.threads)],
                         check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])["tokens_per_s"]


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"machine: {cpu}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; {args.threads} threads each; medians of {args.rounds} rounds")
print()
print("| workload | Lstm tokens/s | PyTorch tokens/s | ratio |")
print("|---|---:|---:|---:|")
for name, torch_args in WORKLOADS:
    if args.only and args.only not in name:
        continue
    mine, theirs = [], []
    for _ in range(args.rounds):
        mine.append(ours(name))
        theirs.append(torch(torch_args))
    a, b = statistics.median(mine), statistics.median(theirs)
    print(f"| {name} | {a:,.0f} | {b:,.0f} | {a / b:.2f} |", flush=True)
