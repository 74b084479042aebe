#!/usr/bin/env python3
"""First run without specs, side by side (issue 15): on every project of the repository with
policy_specs/ and fixtures/ removed, the fixed version and each planted regression, run

  rlsgate      `rlsgate test --format json` (its own throwaway database)
  rlsgrid      `rlsgrid init --from-db` then `rlsgrid check --json`
  rlsautotest  `rlsautotest --schema S --report`

the two peers against the database `rlsgate db` serves for the same migrations. A planted leak
is found by rlsgate when a cell its `-- expect-fail:` header names is suspicious; by a peer when
it reports a finding on a table the header names (rlsgrid: a breach; rlsautotest: a table its
verdict lists as exposed or with policy holes/failures). False alarms are what
each reports on the fixed version. Which regressions are leaks, and why the others are not, is
tests/first_run.rs's PINS. Prints a Markdown table (docs/benchmarks.md) and writes the raw
results to target/bench/firstrun.json.

  python3 bench/firstrun.py [--projects .,examples/orgs,...] [--held-out]

--held-out runs the held-out planted holes of tests/data/first_run/held_out/ instead (each a
leak; the unmodified project of its own too, for false alarms).

Needs `cargo build --release` and a virtualenv with the peers (PEERS_VENV, by default
target/bench/peers):
  python3 -m venv target/bench/peers
  target/bench/peers/bin/pip install rlsgrid==0.5.7 rlsautotest==0.7.1
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("RLSGATE", os.path.join(ROOT, "target", "release", "rlsgate"))
WORK = os.environ.get("RLSGATE_BENCH_DIR", os.path.join(ROOT, "target", "bench"))
PEERS = os.environ.get("PEERS_VENV", os.path.join(WORK, "peers"))

PINS = os.path.join(ROOT, "tests", "first_run.rs")
HELD_OUT = os.path.join(ROOT, "tests", "data", "first_run", "held_out")


# A project whose unmodified version is itself a planted hole (examples/agent-creator/README.md:
# exec_sql, executable by anon and every user): counted as a leak, not as false alarms.
HOLE_BASES = {"examples/agent-creator": [("public.exec_sql(text)", "anon", "execute")]}


def not_leaks():
    """The regressions that are not leaks, per project: tests/first_run.rs, PINS' `not_leaks`."""
    text = open(PINS).read()
    pins = text[text.index("const PINS"):text.index("/// A copy of `project`")]
    found = {}
    for block in pins.split("Pin {")[1:]:
        rel = re.search(r'dir: "([^"]+)"', block).group(1)
        leaks = block[block.index("not_leaks:"):] if "not_leaks:" in block else ""
        found[rel] = re.findall(r'\(\s*"(\d\d_\w+)"', leaks)
    return found


def held_out_cases():
    """tests/data/first_run/held_out/*.sql: (project, case file), the project in `-- project:`."""
    cases = []
    for path in sorted(glob.glob(os.path.join(HELD_OUT, "*.sql"))):
        m = re.search(r"^-- project:\s*(\S+)", open(path).read(), re.M)
        cases.append((m.group(1), path))
    return cases


def projects():
    found = ["."]
    for p in sorted(glob.glob(os.path.join(ROOT, "examples", "*"))):
        if os.path.isdir(os.path.join(p, "supabase", "migrations")) or os.path.isdir(os.path.join(p, "migrations")):
            found.append(os.path.relpath(p, ROOT))
    return found


def copy_without_specs(rel, regression):
    src = os.path.join(ROOT, rel)
    dst = tempfile.mkdtemp(prefix="firstrun-", dir=WORK)
    for entry in ("migrations", "supabase", "rlsgate.toml"):
        s = os.path.join(src, entry)
        if os.path.isdir(s):
            shutil.copytree(s, os.path.join(dst, entry))
        elif os.path.isfile(s):
            shutil.copy(s, dst)
    if regression:
        migrations = os.path.join(dst, "supabase", "migrations")
        if not os.path.isdir(migrations):
            migrations = os.path.join(dst, "migrations")
        stem = os.path.splitext(os.path.basename(regression))[0]
        shutil.copy(regression, os.path.join(migrations, f"99999999999999_regression_{stem}.sql"))
    return dst


def schemas(project):
    config = os.path.join(project, "supabase", "config.toml")
    if os.path.exists(config):
        m = re.search(r"^\s*schemas\s*=\s*\[([^\]]*)\]", open(config).read(), re.M)
        if m:
            found = [s.strip().strip('"') for s in m.group(1).split(",") if s.strip()]
            return [s for s in found if s not in ("graphql_public", "storage")] or ["public"]
    return ["public"]


def named(sql):
    cells = []
    for line in sql.splitlines():
        line = line.strip()
        if not line.startswith("-- expect-fail:"):
            continue
        rest = line[len("-- expect-fail:"):].strip()
        if rest.startswith("function="):
            f, who = rest[len("function="):].split(" identity=")
            who, _, action = who.partition(" action=")
            cells.append((f, who.strip(), action.strip() or "execute"))
            continue
        kv = dict(x.split("=", 1) for x in rest.split())
        table = kv["table"] if "." in kv["table"] else "public." + kv["table"]
        cells.append((table, kv["identity"], kv["command"]))
    return cells


def rlsgate(project):
    env = dict(os.environ, NO_COLOR="1")
    env.pop("RLSGATE_DB_URL", None)
    t = time.perf_counter()
    p = subprocess.run([BIN, "--project", project, "--quiet", "test", "--format", "json"],
                       capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    try:
        report = json.loads(p.stdout)
    except ValueError:
        return dict(time=wall, error=p.stderr[-500:], cells=set(), tables=set())
    cells = set()
    for c in report["cells"]:
        if c["outcome"] == "suspicious":
            cells.add((c["table"], c["identity"], c["command"]))
    for c in report.get("functions", []):
        if c["outcome"] == "suspicious":
            cells.add((c["function"], c["identity"], c.get("command") or c.get("action") or "execute"))
    return dict(time=wall, cells=cells, tables={c[0] for c in cells},
                inconclusive=report["summary"]["inconclusive"])


class Db:
    """`rlsgate db` in the background: its URI as the superuser, and a clean stop (SIGINT)."""

    def __init__(self, project):
        env = dict(os.environ, NO_COLOR="1")
        env.pop("RLSGATE_DB_URL", None)
        self.proc = subprocess.Popen([BIN, "--project", project, "--quiet", "db"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("postgresql://"):
            self.proc.kill()
            raise RuntimeError(f"rlsgate db on {project}: {line!r} {self.proc.stderr.read()[-500:]}")
        self.url = re.sub(r"postgresql://\w+@", "postgresql://supabase_admin@", line)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def rlsgrid(url, cwd):
    exe = os.path.join(PEERS, "bin", "rlsgrid")
    env = dict(os.environ, DATABASE_URL=url)
    t = time.perf_counter()
    init = subprocess.run([exe, "init", "--from-db", "--force"], capture_output=True, text=True, cwd=cwd, env=env)
    check = subprocess.run([exe, "check", "--json"], capture_output=True, text=True, cwd=cwd, env=env)
    wall = time.perf_counter() - t
    try:
        report = json.loads(check.stdout)
    except ValueError:
        return dict(time=wall, error=(init.stdout + init.stderr + check.stdout + check.stderr)[-600:], tables=set())
    tables = {f"{b['schema']}.{b['table']}" for b in report.get("breaches", [])}
    return dict(time=wall, tables=tables, breaches=len(report.get("breaches", [])),
                skipped=report.get("skipped", 0), iterations=report.get("iterations", 0))


def rlsautotest(url, schema_list, cwd):
    """Its verdict line: `FAIL: 1 exposed table(s): a; 3 table(s) with policy holes/failures:
    a, b, c; 1 table(s) with UNRELIABLE tests (...): d`. Exposed tables and holes/failures are
    its findings; unreliable tables it could not test."""
    exe = os.path.join(PEERS, "bin", "rlsautotest")
    tables, unreliable, wall, errors = set(), set(), 0.0, []
    for schema in schema_list:
        t = time.perf_counter()
        p = subprocess.run([exe, "--schema", schema, "--db-url", url, "--report", "--no-fail",
                            "--parallel", "2"], capture_output=True, text=True, cwd=cwd)
        wall += time.perf_counter() - t
        if p.returncode != 0:
            errors.append(p.stderr[-400:])
        for line in p.stdout.splitlines():
            if not line.startswith("FAIL:"):
                continue
            for part in line[len("FAIL:"):].split(";"):
                if ":" not in part:
                    continue
                what, names = part.split(":", 1)
                names = {f"{schema}.{n.strip()}" for n in names.split(",") if n.strip()}
                if "UNRELIABLE" in what:
                    unreliable |= names
                else:
                    tables |= names
    out = dict(time=wall, tables=tables, unreliable=unreliable)
    if errors:
        out["error"] = " | ".join(errors)
    return out


def run_case(rel, regression, leak):
    name = os.path.splitext(os.path.basename(regression))[0] if regression else "fixed"
    project = copy_without_specs(rel, regression)
    row = dict(project=rel, case=name)
    row["rlsgate"] = rlsgate(project)
    db = Db(project)
    try:
        peer_dir = tempfile.mkdtemp(prefix="peer-", dir=WORK)
        row["rlsgrid"] = rlsgrid(db.url, peer_dir)
        row["rlsautotest"] = rlsautotest(db.url, schemas(project), peer_dir)
        shutil.rmtree(peer_dir, ignore_errors=True)
    finally:
        db.stop()
    cells = named(open(regression).read()) if regression else HOLE_BASES.get(rel)
    if cells:
        row["leak"] = leak or not regression
        row["found"] = {
            "rlsgate": any(c in row["rlsgate"]["cells"] for c in cells),
            "rlsgrid": any(c[0] in row["rlsgrid"]["tables"] for c in cells),
            "rlsautotest": any(c[0] in row["rlsautotest"]["tables"] for c in cells),
        }
    shutil.rmtree(project, ignore_errors=True)
    print(json.dumps(row, default=sorted), file=sys.stderr, flush=True)
    return row


def versions():
    out = {"rlsgate": subprocess.run([BIN, "--version"], capture_output=True, text=True).stdout.strip()}
    pip = os.path.join(PEERS, "bin", "pip")
    for peer in ("rlsgrid", "rlsautotest"):
        show = subprocess.run([pip, "show", peer], capture_output=True, text=True).stdout
        m = re.search(r"^Version: (\S+)", show, re.M)
        out[peer] = m.group(1) if m else "missing"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", help="comma-separated, e.g. .,examples/orgs")
    ap.add_argument("--held-out", action="store_true", help="the held-out planted holes instead")
    args = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    print(json.dumps(versions()), file=sys.stderr, flush=True)
    results = []
    if args.held_out:
        cases = held_out_cases()
        own = sorted({rel for rel, _ in cases if rel.startswith("tests/")})
        for rel in own:
            results.append(run_case(rel, None, False))
        for rel, path in cases:
            row = run_case(rel, path, True)
            row["project"] = "held-out"
            results.append(row)
        out = "firstrun-held-out.json"
    else:
        chosen = args.projects.split(",") if args.projects else projects()
        skip = not_leaks()
        for rel in chosen:
            cases = [None] + sorted(glob.glob(os.path.join(ROOT, rel, "regressions", "*.sql")))
            for regression in cases:
                name = os.path.splitext(os.path.basename(regression))[0] if regression else ""
                results.append(run_case(rel, regression, name not in skip.get(rel, [])))
        out = "firstrun.json"
    with open(os.path.join(WORK, out), "w") as f:
        json.dump(results, f, default=sorted, indent=1)
    table(results)


def table(results):
    tools = ["rlsgate", "rlsgrid", "rlsautotest"]
    print("| project | leaks | " + " | ".join(f"{t}: found / false alarms / time" for t in tools) + " |")
    print("|---|---|" + "---|" * len(tools))
    totals = {t: [0, 0, 0.0] for t in tools}
    all_leaks = 0
    for rel in dict.fromkeys(r["project"] for r in results):
        rows = [r for r in results if r["project"] == rel]
        leaks = [r for r in rows if r.get("leak")]
        fixed = next((r for r in rows if r["case"] == "fixed" and not r.get("leak")), None)
        cells = []
        for t in tools:
            found = sum(1 for r in leaks if r["found"][t])
            if t == "rlsgate":
                false = len(fixed[t]["cells"]) if fixed else 0
            else:
                false = len(fixed[t]["tables"]) if fixed else 0
            wall = sum(r[t]["time"] for r in rows)
            totals[t][0] += found
            totals[t][1] += false
            totals[t][2] += wall
            unit = " cells" if t == "rlsgate" else " tables"
            cells.append(f"{found} / {false}{unit} / {wall:.1f} s")
        all_leaks += len(leaks)
        print(f"| {'demo' if rel == '.' else rel.replace('examples/', '')} | {len(leaks)} | " + " | ".join(cells) + " |")
    print(f"| **all** | **{all_leaks}** | " + " | ".join(
        f"**{v[0]} ({100 * v[0] / max(all_leaks, 1):.0f}%) / {v[1]} / {v[2]:.1f} s**" for v in totals.values()) + " |")


if __name__ == "__main__":
    main()
