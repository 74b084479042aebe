#!/usr/bin/env python3
"""What the call probes cost: `rlsgate test` wall time of the seed projects and of a generated
app with 100+ SECURITY DEFINER functions, for a binary without call probes (BASE) and one with
them (NEW), and the call-probe phase alone (RLSGATE_TIMINGS).

    bench/calls.py BASE NEW [--reps 5] [--functions 120] [--tables 40]

Both binaries run on the same projects in turns, median of --reps runs each (after one warm-up
run that fills the template-cluster cache). Figures: docs/benchmarks.md ("Call probes").
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = [
    ".",
    "examples/synthetic-data",
    "examples/agent-creator",
    "examples/agent-creator-fixed",
    "examples/factory-integration",
    "examples/promptcraft",
    "examples/orgs",
    "examples/teams",
    "examples/bookings",
    "examples/rpc",
]


def run(binary, project, timings=False):
    env = dict(os.environ)
    env.pop("RLSGATE_DB_URL", None)
    if timings:
        env["RLSGATE_TIMINGS"] = "1"
    started = time.monotonic()
    out = subprocess.run(
        [binary, "--project", project, "--quiet", "--color", "never", "test",
         "--allow-unspecified", "--format", "json"],
        capture_output=True, text=True, env=env,
    )
    elapsed = time.monotonic() - started
    calls = None
    m = re.search(r"timing: call probes \((\d+) function x identity\): ([\d.]+) ms", out.stderr)
    if m:
        calls = (int(m.group(1)), float(m.group(2)) / 1000)
    return elapsed, calls


def main():
    args = sys.argv[1:]
    opt = lambda name, default: int(args[args.index(name) + 1]) if name in args else default
    reps, functions, tables = opt("--reps", 5), opt("--functions", 120), opt("--tables", 40)
    base, new = args[0], args[1]
    gen = tempfile.mkdtemp(prefix="rlsgate-calls-")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen_schema.py"), "--functions",
                    str(functions), str(tables), gen], check=True)
    projects = [(p, os.path.join(ROOT, p)) for p in SEEDS]
    projects.append((f"generated: {tables} tables, {functions} functions", gen))
    print("| project | without call probes (s) | with (s) | growth | call phase (s) | function x identity |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, path in projects:
        run(base, path)
        run(new, path)
        b, n, phase = [], [], []
        units = 0
        for _ in range(reps):
            b.append(run(base, path)[0])
            t, calls = run(new, path, timings=True)
            n.append(t)
            if calls:
                units, secs = calls
                phase.append(secs)
        mb, mn = statistics.median(b), statistics.median(n)
        mp = statistics.median(phase) if phase else 0.0
        print(f"| {name} | {mb:.2f} | {mn:.2f} | {100 * (mn / mb - 1):+.0f}% | {mp:.2f} | {units} |")


if __name__ == "__main__":
    main()
