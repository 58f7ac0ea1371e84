"""How long `briefing --help` takes to start, against the 0.21 s it took before lazy imports.

    .venv/bin/python bench/bench_startup.py [--runs 20] [--against DIR]

Runs `python -m briefing --help` (and, for comparison, `python -c pass`) --runs times each, in
fresh processes like hyperfine does, and prints the median and the best; then lists the ten
slowest imports of one `-X importtime` run, so a regression names its culprit. `--against DIR`
times another checkout (e.g. `git archive 52d90b2 | tar -x -C /tmp/bl`) interleaved with this
one, so both see the same load. On a shared
machine the figures are noisy: compare medians, and rerun when the load is high.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = 0.21  # seconds, `briefing --help` before this change (issue 12)
TARGET = 0.15


def _time(argv: list[str], runs: int, trees: list[Path]) -> list[list[float]]:
    """Per tree, `runs` wall times; the trees take turns so that load spikes hit all alike."""
    times: list[list[float]] = [[] for _ in trees]
    for _ in range(runs):
        for k, tree in enumerate(trees):
            env = {**os.environ, "PYTHONPATH": str(tree)}
            started = time.perf_counter()
            subprocess.run(argv, env=env, cwd=tree, stdout=subprocess.DEVNULL, check=True)
            times[k].append(time.perf_counter() - started)
    return times


def _slowest_imports(argv: list[str]) -> list[tuple[int, str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--against", type=Path, default=None, help="another checkout to compare")
    args = parser.parse_args()
    help_argv = [sys.executable, "-m", "briefing", "--help"]
    trees = [ROOT] + ([args.against.resolve()] if args.against else [])
    (bare,) = _time([sys.executable, "-c", "pass"], args.runs, [ROOT])
    took = _time(help_argv, args.runs, trees)
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (figures are noisy)")
    print(f"python -c pass      median {statistics.median(bare):.3f} s  best {min(bare):.3f} s")
    median = statistics.median(took[0])
    print(
        f"briefing --help     median {median:.3f} s  best {min(took[0]):.3f} s"
        f"  (baseline {BASELINE:.2f} s, target ≤ {TARGET:.2f} s: "
        f"{'met' if median <= TARGET else 'NOT met'})"
    )
    if args.against:
        other = statistics.median(took[1])
        print(
            f"  {args.against}: median {other:.3f} s  best {min(took[1]):.3f} s"
            f"  (this tree takes {median / other:.0%} of its time)"
        )
    print("slowest imports of `briefing --help` (cumulative µs):")
    for us, name in _slowest_imports(help_argv):
        print(f"  {us:>8}  {name}")


if __name__ == "__main__":
    main()
