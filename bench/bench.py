#!/usr/bin/env python3
"""The rlsgate benchmarks (issue 8), run by bench/run.sh. Prints one table.

Sections (all by default; pick some with --only a,b):
  start      first run (empty template cache) and warm runs of `rlsgate test` on the demo
  pgbench    probe throughput against the raw ceiling of the same probe statements
             (cargo bench --bench probe_throughput), and pgbench's loop on one SELECT for scale
  compare    rlsgate vs rlsautotest end to end on every seed project
  scale      generated schemas of 10/100/500/1000 tables: time, time per cell, peak RSS, fit
  tenancy    the 500-table schema and its tenant-scoped variant (gen_schema.py --tenant), in
             turn: per-cell cost with tenancy against without (target <= 1.3x)
  partition  the 1000-table schema split in N shares (--partition K/N) then `rlsgate merge`
  lint       static lint of 100,000 generated lines (bench/lint.sh), and squawk if it installs
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "rlsgate")
WORK = os.environ.get("RLSGATE_BENCH_DIR", os.path.join(ROOT, "target", "bench"))
PGBENCH = os.environ.get("PGBENCH", "/usr/lib/postgresql/15/bin/pgbench")
SEEDS = [
    (".", "demo", ["public"]),
    ("examples/synthetic-data", "synthetic-data", ["public"]),
    ("examples/agent-creator", "agent-creator", ["public"]),
    ("examples/agent-creator-fixed", "agent-creator-fixed", ["public"]),
    ("examples/factory-integration", "factory-integration", ["public", "factory_app"]),
    ("examples/promptcraft", "promptcraft", ["public"]),
]
SIZES = [10, 100, 500, 1000]
ROWS = []  # (section, measure, figure, target, verdict)
RESULTS = {}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def load():
    return open("/proc/loadavg").read().split()[0]


def row(section, measure, figure, target="", ok=None):
    verdict = "" if ok is None else ("yes" if ok else "MISSED")
    ROWS.append((section, measure, figure, target, verdict))
    log(f"  {section} | {measure} | {figure} | {target} | {verdict}")


class Run:
    def __init__(self, wall, code, stdout, stderr):
        self.wall, self.code, self.stdout, self.stderr = wall, code, stdout, stderr
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
        # /usr/bin/time reports the largest of rlsgate and the Postgres processes it waited
        # for; rlsgate itself reports its own peak (VmHWM).
        self.tree_rss_mb = int(m.group(1)) / 1024 if m else None
        m = re.search(r"memory: peak RSS of rlsgate: ([\d.]+) MB", stderr)
        self.rss_mb = float(m.group(1)) if m else None
        self.phases = {
            k: float(v) / 1000 for k, v in re.findall(r"timing: (.+?): ([\d.]+) ms", stderr)
        }
        m = re.search(r"timing: probe \((\d+) cells\)", stderr)
        self.cells = int(m.group(1)) if m else None

    def phase(self, prefix):
        return next((v for k, v in self.phases.items() if k.startswith(prefix)), None)


def rlsgate(args, env=None, project=ROOT, check=True):
    cmd = ["/usr/bin/time", "-v", BIN, "--project", project, "--quiet", *args]
    e = dict(os.environ, RLSGATE_TIMINGS="1", NO_COLOR="1")
    e.pop("RLSGATE_DB_URL", None)
    e.update(env or {})
    t = time.perf_counter()
    p = subprocess.run(cmd, env=e, capture_output=True, text=True)
    r = Run(time.perf_counter() - t, p.returncode, p.stdout, p.stderr)
    if check and p.returncode not in (0, 1):
        sys.exit(f"rlsgate {' '.join(args)} on {project} failed ({p.returncode}):\n{p.stderr}")
    return r


def median(xs):
    return statistics.median(xs)


def fmt_s(s):
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


class Db:
    """`rlsgate db` in the background: its URI, and a clean stop (SIGINT) at the end."""

    def __init__(self, project):
        e = dict(os.environ, NO_COLOR="1")
        e.pop("RLSGATE_DB_URL", None)
        self.proc = subprocess.Popen(
            [BIN, "--project", project, "--quiet", "db"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e,
        )
        line = self.proc.stdout.readline().strip()
        if not line.startswith("postgresql://"):
            self.proc.kill()
            sys.exit(f"rlsgate db on {project}: no URI ({line!r}): {self.proc.stderr.read()}")
        self.url = line
        m = re.match(r"postgresql://(\w+)@/(\w+)\?host=([^&]+)&port=(\d+)", line)
        self.host, self.port = m.group(3), m.group(4)

    def url_as(self, user):
        return re.sub(r"postgresql://\w+@", f"postgresql://{user}@", self.url)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------- start


def bench_start(reps):
    log("start: first run (empty template cache) and warm runs on the demo")
    first, first_ready = [], []
    for _ in range(max(1, reps // 2)):
        with tempfile.TemporaryDirectory() as cache:
            r = rlsgate(["test", "--format", "json", "-o", "/dev/null"], {"RLSGATE_CACHE_DIR": cache})
            first.append(r.wall)
            first_ready.append(r.phase("start + migrate"))
    cache = os.path.join(WORK, "cache")
    os.makedirs(cache, exist_ok=True)
    rlsgate(["test", "--format", "json", "-o", "/dev/null"], {"RLSGATE_CACHE_DIR": cache})
    warm = [rlsgate(["test", "--format", "json", "-o", "/dev/null"], {"RLSGATE_CACHE_DIR": cache}) for _ in range(reps)]
    w = median([r.wall for r in warm])
    ready = median([r.phase("start + migrate") for r in warm])
    cells = warm[0].cells
    probe = median([r.phase("probe (") for r in warm])
    synth = median([r.phase("synthesize") for r in warm])
    RESULTS["start"] = dict(first=first, first_ready=first_ready, warm=[r.wall for r in warm],
                            ready=ready, probe=probe, synth=synth, cells=cells)
    row("demo", "first `rlsgate test` (no template cache), median", fmt_s(median(first)), "<= 2 s", median(first) <= 2)
    row("demo", "  of which: database ready (initdb + bootstrap + migrations)", fmt_s(median(first_ready)))
    row("demo", f"warm `rlsgate test`, median of {reps} (min)", f"{fmt_s(w)} ({fmt_s(min(r.wall for r in warm))})", "<= 300 ms", w <= 0.3)
    row("demo", "  phases: ready / synthesize / probe", f"{fmt_s(ready)} / {fmt_s(synth)} / {fmt_s(probe)}")
    row("demo", "  cells; probe throughput", f"{cells}; {cells / probe:.0f} cells/s")
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        shm = [rlsgate(["test", "--format", "json", "-o", "/dev/null"],
                       {"RLSGATE_CACHE_DIR": cache, "TMPDIR": "/dev/shm"}) for _ in range(reps)]
        ws = median([r.wall for r in shm])
        RESULTS["start"]["warm_tmpfs"] = [r.wall for r in shm]
        row("demo", f"warm, run directory on tmpfs (TMPDIR=/dev/shm), median of {reps} (min)",
            f"{fmt_s(ws)} ({fmt_s(min(r.wall for r in shm))})", "<= 300 ms", ws <= 0.3)
        row("demo", "  phases: ready / synthesize / probe / teardown",
            " / ".join(fmt_s(median([r.phase(p) for r in shm])) for p in ["start + migrate", "synthesize", "probe (", "teardown"]))


# ---------------------------------------------------------------- pgbench


PGB_TABLES = ["profiles", "user_settings", "conversations", "messages", "documents",
              "document_chunks", "document_conversation_links", "api_usage", "api_keys"]
ALICE = '{"sub":"7c0a0e2b-0000-4000-8000-000000000001","role":"authenticated","aud":"authenticated"}'


def bench_pgbench(reps):
    log("probe: rlsgate's pass against the raw ceiling of the same probe statements")
    p = subprocess.run(["cargo", "bench", "--quiet", "--bench", "probe_throughput", "--", str(max(reps, 9))],
                       cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"cargo bench failed:\n{p.stdout}\n{p.stderr}")
    rates = dict(re.findall(r"^  (rlsgate|raw).*?([\d.]+) cells/s$", p.stdout, re.M))
    ours, raw = float(rates["rlsgate"]), float(rates["raw"])
    cells = re.search(r"(\d+) cells, (\d+) probe statements", p.stdout)
    row("probe", f"raw ceiling: the same {cells.group(2)} probe statements, one round trip each (benches/probe_throughput.rs)",
        f"{raw:.0f} cells/s")
    row("probe", "rlsgate probe pass on the demo, same run, same connections", f"{ours:.0f} cells/s")
    row("probe", "rlsgate / ceiling", f"{100 * ours / raw:.0f}%", ">= 50%", ours / raw >= 0.5)
    RESULTS["pgbench"] = dict(ceiling=raw, rlsgate=ours)

    # For scale: pgbench's own loop on the lightest cell there is (one SELECT as alice).
    db = Db(ROOT)
    try:
        d = tempfile.mkdtemp()
        scripts = []
        for t in PGB_TABLES:
            path = os.path.join(d, f"{t}.sql")
            with open(path, "w") as f:
                f.write("BEGIN;\nSET LOCAL ROLE authenticated;\n"
                        f"SELECT set_config('request.jwt.claims', '{ALICE}', true);\n"
                        f"SELECT count(*) FROM public.{t};\nROLLBACK;\n")
            scripts += ["-f", path]
        jobs = str(max(2, os.cpu_count() or 2))
        p = subprocess.run(
            [PGBENCH, "-n", "-M", "prepared", "-c", jobs, "-j", jobs, "-T", "5",
             "-h", db.host, "-p", db.port, "-U", "supabase_admin", *scripts, "postgres"],
            capture_output=True, text=True, cwd="/tmp",
        )
        m = re.search(r"tps = ([\d.]+) \(without initial", p.stdout)
        if m:
            row("probe", "for scale: pgbench, one `SELECT count(*)` as alice per transaction (a lighter cell than most)",
                f"{float(m.group(1)):.0f} transactions/s")
        shutil.rmtree(d)
    finally:
        db.stop()


# ---------------------------------------------------------------- compare


def venv():
    py = os.path.join(WORK, "venv", "bin", "python")
    exe = os.path.join(WORK, "venv", "bin", "rlsautotest")
    if not os.path.exists(exe):
        log("installing rlsautotest (PyPI) into a virtualenv")
        subprocess.run([sys.executable, "-m", "venv", os.path.join(WORK, "venv")], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "rlsautotest"], check=True)
    v = subprocess.run([py, "-m", "pip", "show", "rlsautotest"], capture_output=True, text=True).stdout
    return exe, re.search(r"Version: (\S+)", v).group(1)


def bench_compare(reps):
    log("compare: rlsgate vs rlsautotest on every seed project")
    exe, version = venv()
    cache = os.path.join(WORK, "cache")
    total_ours, total_theirs = 0.0, 0.0
    RESULTS["compare"] = []
    for rel, name, schemas in SEEDS:
        project = os.path.join(ROOT, rel)
        rlsgate(["test", "--format", "json", "-o", "/dev/null"], {"RLSGATE_CACHE_DIR": cache}, project)
        ours = [rlsgate(["test", "--format", "json", "-o", "/dev/null"], {"RLSGATE_CACHE_DIR": cache}, project)
                for _ in range(max(1, reps // 2))]
        ours_t = median([r.wall for r in ours])
        db = Db(project)
        try:
            theirs_t, cells, tested = 0.0, 0, 0
            for schema in schemas:
                out = os.path.join(WORK, f"rlsautotest-{name}-{schema}.json")
                t = time.perf_counter()
                p = subprocess.run(
                    [exe, "--schema", schema, "--db-url", db.url_as("supabase_admin"), "--report",
                     "--report-json", out, "--no-fail", "--parallel", str(max(2, os.cpu_count() or 2))],
                    capture_output=True, text=True, cwd=WORK,
                )
                theirs_t += time.perf_counter() - t
                if p.returncode != 0 or not os.path.exists(out):
                    log(f"rlsautotest on {name}/{schema} exited {p.returncode}:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
                    continue
                with open(out) as f:
                    rep = json.load(f)
                c, t_count = count_cells(rep)
                cells += c
                tested += t_count
        finally:
            db.stop()
        total_ours += ours_t
        total_theirs += theirs_t
        ratio = theirs_t / ours_t
        RESULTS["compare"].append(dict(project=name, rlsgate=ours_t, rlsautotest=theirs_t,
                                       rlsgate_cells=ours[0].cells, rlsautotest_cells=cells, tables=tested))
        row("vs rlsautotest", f"{name}: rlsgate / rlsautotest {version} (cells)",
            f"{fmt_s(ours_t)} ({ours[0].cells}) / {fmt_s(theirs_t)} ({cells}): {ratio:.1f}x",
            ">= 10x, >= cells", ratio >= 10 and ours[0].cells >= cells)
    row("vs rlsautotest", "all seed projects", f"{fmt_s(total_ours)} / {fmt_s(total_theirs)}: {total_theirs / total_ours:.1f}x",
        ">= 10x", total_theirs / total_ours >= 10)


def count_cells(rep):
    """rlsautotest's --report-json: the identity x command cells it tested (its `idgrid`), and
    the tables it covered."""
    tables = rep.get("tables", [])
    cells = sum(len(ids) for t in tables for ids in (t.get("idgrid") or {}).values())
    return cells, len(tables)


# ---------------------------------------------------------------- scale


def schema(n):
    d = os.path.join(WORK, "scale", str(n))
    if not os.path.isdir(d):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_schema.py"), str(n), d], check=True)
    return d


def bench_scale(reps):
    log("scale: generated schemas")
    cache = os.path.join(WORK, "cache")
    pts = []
    RESULTS["scale"] = []
    for n in SIZES:
        d = schema(n)
        runs = [rlsgate(["test", "--format", "json", "-o", os.path.join(d, "whole.json")], {"RLSGATE_CACHE_DIR": cache}, d)
                for _ in range(1 if n >= 500 else 2)]
        r = min(runs, key=lambda r: r.wall)
        if r.code != 0:
            log(f"  {n} tables: exit {r.code}: {r.stdout[-1500:]}")
        ready, synth, probe = r.phase("start + migrate"), r.phase("synthesize"), r.phase("probe (")
        RESULTS["scale"].append(dict(tables=n, wall=r.wall, cells=r.cells, rss_mb=r.rss_mb,
                                     tree_rss_mb=r.tree_rss_mb, ready=ready,
                                     synth=synth, probe=probe, exit=r.code))
        pts.append((n, r.wall))
        target, ok = "", None
        if n == 500:
            target, ok = "<= 10 s", r.wall <= 10
        row("scale", f"{n} tables x 5 identities ({r.cells} cells), exit {r.code}",
            f"{fmt_s(r.wall)}; {1000 * r.wall / r.cells:.2f} ms/cell", target, ok)
        row("scale", f"  {n} tables: ready / synthesize / probe; peak RSS rlsgate (largest Postgres process)",
            f"{fmt_s(ready)} / {fmt_s(synth)} / {fmt_s(probe)}; {r.rss_mb:.0f} MB ({r.tree_rss_mb:.0f} MB)",
            "RSS <= 150 MB" if n == 1000 else "", (r.rss_mb <= 150) if n == 1000 else None)
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    slope = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x in xs)
    intercept = my - slope * mx
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in pts)
    ss_tot = sum((y - my) ** 2 for y in ys)
    r2 = 1 - ss_res / ss_tot if ss_tot else 1.0
    # Growth exponent between the two largest sizes: 1.0 is linear.
    import math
    k = math.log(ys[-1] / ys[-2]) / math.log(xs[-1] / xs[-2])
    RESULTS["fit"] = dict(slope=slope, intercept=intercept, r2=r2, exponent=k)
    row("scale", "least-squares fit of wall time on tables",
        f"{1000 * slope:.1f} ms/table + {fmt_s(intercept)}, R^2 = {r2:.3f}; exponent {xs[-2]}->{xs[-1]}: {k:.2f}",
        "linear", k <= 1.15 and r2 >= 0.98)


# ---------------------------------------------------------------- partition


def bench_tenancy(reps, n=500):
    log(f"tenancy: {n} tables, owner-scoped vs tenant-scoped, alternating")
    cache = os.path.join(WORK, "cache")
    plain = schema(n)
    scoped = os.path.join(WORK, "scale", f"{n}-tenant")
    if not os.path.isdir(scoped):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_schema.py"), "--tenant", str(n), scoped],
                       check=True)
    per_cell = {"plain": [], "tenant": []}
    last = {}
    for _ in range(max(1, min(reps, 5))):
        for kind, d in (("plain", plain), ("tenant", scoped)):
            r = rlsgate(["test", "--format", "json", "-o", os.path.join(d, "whole.json")], {"RLSGATE_CACHE_DIR": cache}, d)
            if r.code != 0:
                log(f"  {kind}: exit {r.code}: {r.stdout[-1500:]}")
            per_cell[kind].append(r.wall / r.cells)
            last[kind] = r
    ratio = median(per_cell["tenant"]) / median(per_cell["plain"])
    RESULTS["tenancy"] = dict(tables=n, per_cell_ms={k: [1000 * x for x in v] for k, v in per_cell.items()},
                              ratio=ratio)
    for kind in ("plain", "tenant"):
        r = last[kind]
        row("tenancy", f"{n} tables, {kind} ({r.cells} cells), exit {r.code}: median wall, per cell; synthesize / probe",
            f"{fmt_s(median(per_cell[kind]) * r.cells)}; {1000 * median(per_cell[kind]):.3f} ms/cell; "
            f"{fmt_s(r.phase('synthesize') or 0)} / {fmt_s(r.phase('probe (') or 0)}")
    row("tenancy", "per-cell cost, tenant-scoped / owner-scoped", f"{ratio:.2f}x", "<= 1.3x", ratio <= 1.3)


def bench_partition(reps, shares=(2, 4)):
    log("partition: the 1000-table schema in shares")
    cache = os.path.join(WORK, "cache")
    d = schema(1000)
    whole = os.path.join(d, "whole.json")
    if not os.path.exists(whole):
        rlsgate(["test", "--format", "json", "-o", whole], {"RLSGATE_CACHE_DIR": cache}, d)
    whole_summary = json.load(open(whole))["summary"]
    RESULTS["partition"] = []
    for n in shares:
        times, files = [], []
        for k in range(1, n + 1):
            out = os.path.join(d, f"share-{k}-of-{n}.json")
            r = rlsgate(["test", "--partition", f"{k}/{n}", "--format", "json", "-o", out],
                        {"RLSGATE_CACHE_DIR": cache}, d)
            times.append(r.wall)
            files.append(out)
        t = time.perf_counter()
        m = subprocess.run([BIN, "merge", "--format", "json", *files], capture_output=True, text=True)
        merge_t = time.perf_counter() - t
        same = json.loads(m.stdout)["summary"] == whole_summary
        RESULTS["partition"].append(dict(n=n, shares=times, merge=merge_t, same=same))
        row("partition", f"1000 tables in {n} shares: slowest share (each runner) / merge",
            f"{fmt_s(max(times))} / {fmt_s(merge_t)}; merged verdict {'=' if same else '!='} whole run")


# ---------------------------------------------------------------- lint


def squawk():
    exe = os.path.join(WORK, "squawk", "node_modules", ".bin", "squawk")
    if not os.path.exists(exe) and shutil.which("npm"):
        log("installing squawk-cli (npm)")
        os.makedirs(os.path.join(WORK, "squawk"), exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "squawk-cli"],
                       cwd=os.path.join(WORK, "squawk"), capture_output=True, timeout=300)
    if not os.path.exists(exe):
        return None, None
    v = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    return exe, v


def bench_lint(reps):
    log("lint: 100,000 generated lines")
    d = os.path.join(WORK, "lint")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    p = subprocess.run([os.path.join(ROOT, "bench", "lint.sh"), "100000", str(reps)],
                       env=dict(os.environ, LINT_BENCH_DIR=d), capture_output=True, text=True, check=True)
    best = float(re.search(r"best(?: wall)?: ([\d.]+) s", p.stdout).group(1))
    lines = int(re.search(r"input: (\d+) lines", p.stdout).group(1))
    RESULTS["lint"] = dict(lines=lines, best=best)
    row("lint", f"`rlsgate lint` on {lines} lines in 100 files, best of {reps}",
        f"{fmt_s(best)}; {lines / best / 1e6:.2f} M lines/s", "<= 0.5 s", best <= 0.5)
    exe, version = squawk()
    if not exe:
        row("lint", "squawk", "did not install from npm here")
        return
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".sql"))
    times = []
    for _ in range(max(1, reps // 2)):
        t = time.perf_counter()
        subprocess.run([exe, *files], capture_output=True)
        times.append(time.perf_counter() - t)
    s = min(times)
    RESULTS["lint"]["squawk"] = dict(version=version, best=s)
    row("lint", f"{version} on the same files, best of {len(times)}",
        f"{fmt_s(s)}; {lines / s / 1e6:.2f} M lines/s; rlsgate {s / best:.1f}x faster")


# ---------------------------------------------------------------- main


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return f"{os.cpu_count()} CPUs, {cpu}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="start,pgbench,compare,scale,tenancy,partition,lint")
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    before = open("/proc/loadavg").read().split()[:3]
    log(f"machine: {machine()}; load before: {' '.join(before)}")
    sections = dict(start=bench_start, pgbench=bench_pgbench, compare=bench_compare,
                    scale=bench_scale, tenancy=bench_tenancy, partition=bench_partition, lint=bench_lint)
    for s in args.only.split(","):
        sections[s.strip()](args.reps)
    after = open("/proc/loadavg").read().split()[:3]
    RESULTS["machine"] = dict(cpu=machine(), load_before=before, load_after=after)
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump(RESULTS, f, indent=2)
    print(f"machine: {machine()}")
    print(f"load average (1/5/15 min): before {' '.join(before)}, after {' '.join(after)}")
    print()
    print("| section | measure | figure | target | met |")
    print("|---|---|---|---|---|")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
