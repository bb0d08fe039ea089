#!/usr/bin/env python3
"""Side by side: `lstm bench train` / `lstm bench generate` against TorchSharp (libtorch 2.10 with oneDNN's fused LSTM,
../shared/bench/torchsharp/run.sh) and PyTorch CPU (../shared/bench/bench_torch.py), alternating per workload, thread
count and round so all three see the same machine state. Prints a Markdown table of medians: tokens/s for training
(W1, W2, W3-x), µs per token for batch-1 generation (W4); "Lstm ÷ best peer" compares with the faster of the two.

Needs Debian's python3-torch for PyTorch (skipped with --peers torchsharp); TorchSharp builds on first use (~1.2 GB
from NuGet). Not project dependencies. Run from the repository root:
  /usr/bin/python3 benchmarks/compare_train.py --rounds 3 --threads 1 2
PyTorch runs with OMP_WAIT_POLICY=PASSIVE.
"""
import argparse, json, os, re, statistics, subprocess, time

# name, lstm bench arguments, TorchSharp run.sh arguments after the thread count, bench_torch.py arguments
WORKLOADS = [
    ("W1", ["train", "--workload", "W1", "--seconds", "6"], ["20", "3"], ["--workload", "W1"]),
    ("W2", ["train", "--workload", "W2", "--seconds", "20"], ["8", "3"], ["--workload", "W2", "--iters", "10"]),
    ("W3-128", ["train", "--workload", "W3-128", "--seconds", "6"], ["20", "3", "128"], ["--workload", "W3", "--dh", "128"]),
    ("W3-512", ["train", "--workload", "W3-512", "--seconds", "6"], ["20", "3", "512"], ["--workload", "W3", "--dh", "512"]),
    ("W3-1024", ["train", "--workload", "W3-1024", "--seconds", "20"], ["10", "3", "1024"], ["--workload", "W3", "--dh", "1024", "--iters", "10"]),
    ("W4", ["generate", "--seconds", "3"], ["200", "20"], ["--workload", "W4"]),
]

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
ap.add_argument("--only", default="", help="comma-separated workload names")
ap.add_argument("--peers", default="torchsharp,pytorch")
ap.add_argument("--precision", default="fp32", help="W4 weights of this library: fp32, bf16 or int8")
ap.add_argument("--cli", default="src/Lstm.Cli/bin/Release/net10.0/Lstm.Cli")
ap.add_argument("--torch-script", default="../shared/bench/bench_torch.py")
ap.add_argument("--torchsharp", default="../shared/bench/torchsharp/run.sh")
args = ap.parse_args()
peers = [p for p in args.peers.split(",") if p]


def value(out):
    """tokens/s of a training line, or µs/token of a generation line (the last number with its unit)."""
    m = re.search(r"([0-9.]+) (tokens/s|us/token)\s*$", out.strip().splitlines()[-1])
    return float(m.group(1))


def ours(name, bench, threads):
    extra = ["--precision", args.precision] if name == "W4" else []
    out = subprocess.run([args.cli, "bench", *bench, "--threads", str(threads), *extra], check=True, capture_output=True, text=True).stdout
    return value(out)


def peer_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    line = json.loads(out.strip().splitlines()[-1])
    return line["median_us_per_token"] if "median_us_per_token" in line else line["tokens_per_s"]


def torchsharp(workload, ts_args, threads):
    return peer_json(["bash", args.torchsharp, workload, str(threads), *ts_args])


def pytorch(torch_args, threads):
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return peer_json(["/usr/bin/python3", args.torch_script, *torch_args, "--threads", str(threads)], env)


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"machine: {cpu}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; medians of {args.rounds} alternating rounds; W4 weights {args.precision}")
print()
names = {"torchsharp": "TorchSharp", "pytorch": "PyTorch"}
print("| workload | threads | Lstm | " + " | ".join(names[p] for p in peers) + " | Lstm ÷ best peer |")
print("|---|---:|---:|" + "---:|" * len(peers) + "---:|")
only = set(filter(None, args.only.split(",")))
for name, bench, ts_args, torch_args in WORKLOADS:
    if only and name not in only:
        continue
    for threads in args.threads:
        mine, theirs = [], {p: [] for p in peers}
        for _ in range(args.rounds):
            mine.append(ours(name, bench, threads))
            if "torchsharp" in peers:
                theirs["torchsharp"].append(torchsharp(name.split("-")[0], ts_args, threads))
            if "pytorch" in peers:
                theirs["pytorch"].append(pytorch(torch_args, threads))
        a = statistics.median(mine)
        medians = {p: statistics.median(v) for p, v in theirs.items()}
        # Training: more tokens/s is better; generation: fewer µs per token. The ratio is "times as fast as the best peer".
        if name == "W4":
            best = min(medians.values())
            ratio = best / a
        else:
            best = max(medians.values())
            ratio = a / best
        unit = " µs/token" if name == "W4" else ""
        cells = " | ".join(f"{medians[p]:,.0f}" for p in peers)
        print(f"| {name} | {threads} | {a:,.0f}{unit} | {cells} | {ratio:.2f} |", flush=True)
