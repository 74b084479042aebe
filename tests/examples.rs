//! The demo at the repository root and every project under `examples/` pass `rlsgate test`;
//! every planted regression (`regressions/NN_<what>.sql`, applied as the project's last
//! migration) makes it fail on the cell its `-- expect-fail:` header names.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_rlsgate");
const MIN_REGRESSIONS: usize = 5;
/// The seed as its authors wrote it, exec_sql hole included; its regressions are planted in
/// the fixed variant, `examples/agent-creator-fixed`.
const WITHOUT_REGRESSIONS: [&str; 1] = ["examples/agent-creator"];

/// Projects whose hole is not in the table matrix but in a function: `rlsgate test` must exit 1
/// on the lint error (rule, a word of its message), with every cell passing but the call cells
/// of that function, suspicious (its calls read auth.users).
const CAUGHT_BY_LINT: [(&str, &str, &str); 1] = [(
    "examples/agent-creator",
    "security-definer-executable",
    "exec_sql",
)];

/// Copied from a project when a regression is added to it.
const PROJECT_ENTRIES: [&str; 5] = [
    "migrations",
    "supabase",
    "policy_specs",
    "fixtures",
    "rlsgate.toml",
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository root and every directory of `examples/` that holds migrations, but those
/// awaiting the tenancy engine.
fn projects() -> Vec<PathBuf> {
    with_migrations()
}

/// The repository root and every directory of `examples/` that holds migrations.
fn with_migrations() -> Vec<PathBuf> {
    let mut found = vec![repo()];
    let mut examples: Vec<PathBuf> = fs::read_dir(repo().join("examples"))
        .expect("examples/ exists")
        .map(|e| e.expect("readable examples/ entry").path())
        .filter(|p| migrations_dir(p).is_some())
        .collect();
    examples.sort();
    found.extend(examples);
    found
}

fn migrations_dir(project: &Path) -> Option<PathBuf> {
    [
        project.join("supabase/migrations"),
        project.join("migrations"),
    ]
    .into_iter()
    .find(|d| d.is_dir())
}

fn name(project: &Path) -> String {
    if project == repo() {
        "demo (repository root)".to_string()
    } else {
        project
            .strip_prefix(repo())
            .unwrap_or(project)
            .display()
            .to_string()
    }
}

fn regressions(project: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(project.join("regressions")) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable regressions/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Cell {
    table: String,
    identity: String,
    command: String,
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} · {} · {}", self.table, self.identity, self.command)
    }
}

/// The `-- expect-fail: table=<schema.table> identity=<name> command=<cmd>` and
/// `-- expect-fail: function=<schema.name(arg types)> identity=<name> [action=call]` lines of
/// a file (an EXECUTE cell, or with `action=call` the cell of what the calls reach).
fn expectations(sql: &str) -> Result<Vec<Cell>, String> {
    let mut cells = Vec::new();
    for (n, line) in sql.lines().enumerate() {
        let Some(rest) = line.trim().strip_prefix("-- expect-fail:") else {
            continue;
        };
        let (mut table, mut identity, mut command) = (None, None, None);
        if let Some(function) = rest.trim().strip_prefix("function=") {
            let (function, who) = function
                .split_once(" identity=")
                .ok_or_else(|| format!("line {}: needs function= and identity=", n + 1))?;
            let (who, action) = match who.split_once(" action=") {
                Some((who, action @ ("call" | "execute"))) => (who, action),
                Some((_, other)) => {
                    return Err(format!("line {}: unknown action `{other}`", n + 1))
                }
                None => (who, "execute"),
            };
            cells.push(Cell {
                table: function.to_string(),
                identity: who.trim().to_string(),
                command: action.to_string(),
            });
            continue;
        }
        for pair in rest.split_whitespace() {
            match pair.split_once('=') {
                Some(("table", v)) => {
                    table = Some(if v.contains('.') {
                        v.to_string()
                    } else {
                        format!("public.{v}")
                    })
                }
                Some(("identity", v)) => identity = Some(v.to_string()),
                Some(("command", v @ ("select" | "insert" | "update" | "delete"))) => {
                    command = Some(v.to_string())
                }
                _ => return Err(format!("line {}: cannot read `{pair}`", n + 1)),
            }
        }
        match (table, identity, command) {
            (Some(table), Some(identity), Some(command)) => cells.push(Cell {
                table,
                identity,
                command,
            }),
            _ => {
                return Err(format!(
                    "line {}: needs table=, identity= and command=",
                    n + 1
                ))
            }
        }
    }
    if cells.is_empty() {
        return Err("no `-- expect-fail:` header".to_string());
    }
    Ok(cells)
}

struct Run {
    code: Option<i32>,
    json: Option<Value>,
    stderr: String,
}

impl Run {
    fn cells_with_outcome<'a>(&'a self, outcome: &'a str) -> impl Iterator<Item = Cell> + 'a {
        self.json
            .iter()
            .flat_map(|j| j["cells"].as_array().into_iter().flatten())
            .filter(move |c| c["outcome"] == outcome)
            .map(|c| Cell {
                table: c["table"].as_str().unwrap_or_default().to_string(),
                identity: c["identity"].as_str().unwrap_or_default().to_string(),
                command: c["command"].as_str().unwrap_or_default().to_string(),
            })
            .chain(
                self.json
                    .iter()
                    .flat_map(|j| j["functions"].as_array().into_iter().flatten())
                    .filter(move |c| c["outcome"] == outcome)
                    .map(|c| Cell {
                        table: c["function"].as_str().unwrap_or_default().to_string(),
                        identity: c["identity"].as_str().unwrap_or_default().to_string(),
                        command: c["action"].as_str().unwrap_or("execute").to_string(),
                    }),
            )
    }

    fn describe(&self) -> String {
        let mut out = format!("exit {:?}", self.code);
        match &self.json {
            Some(j) => out.push_str(&format!(", summary {}", j["summary"])),
            None => out.push_str(", no JSON on stdout"),
        }
        for kind in ["fail", "inconclusive", "unspecified"] {
            let cells: Vec<String> = self
                .cells_with_outcome(kind)
                .map(|c| c.to_string())
                .collect();
            if !cells.is_empty() {
                out.push_str(&format!("\n    {kind}: {}", cells.join(", ")));
            }
        }
        let stderr = self.stderr.trim();
        if self.json.is_none() && !stderr.is_empty() {
            out.push_str(&format!("\n    stderr: {stderr}"));
        }
        out
    }
}

fn rlsgate_test(project: &Path, tables: &[&str]) -> Run {
    let out = Command::new(BIN)
        .arg("--project")
        .arg(project)
        .args(["--quiet", "--color", "never", "test", "--format", "json"])
        .args(tables.iter().flat_map(|t| ["--table", t]))
        .output()
        .expect("rlsgate runs");
    Run {
        code: out.status.code(),
        json: serde_json::from_slice(&out.stdout).ok(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of `project` with `regression` as its last migration.
fn with_regression(project: &Path, regression: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in PROJECT_ENTRIES {
        let src = project.join(entry);
        if src.is_dir() {
            copy_dir(&src, &dir.path().join(entry));
        } else if src.is_file() {
            fs::copy(&src, dir.path().join(entry)).unwrap();
        }
    }
    let migrations = migrations_dir(dir.path()).expect("the copy has migrations");
    let stem = regression.file_stem().unwrap().to_string_lossy();
    fs::copy(
        regression,
        migrations.join(format!("99999999999999_regression_{stem}.sql")),
    )
    .unwrap();
    dir
}

/// Runs `f` over `items` on a few threads (each rlsgate run starts its own Postgres).
fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4)
        .min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[test]
fn every_project_passes_its_specs() {
    let projects = projects();
    assert!(
        projects.len() >= 6,
        "expected the demo and five examples, found {}",
        projects.len()
    );
    let problems: Vec<String> = in_parallel(&projects, |p| {
        let run = rlsgate_test(p, &[]);
        let hole = CAUGHT_BY_LINT
            .iter()
            .find(|(project, _, _)| name(p) == *project);
        let cells_pass = run.json.as_ref().is_some_and(|j| {
            let s = &j["summary"];
            s["cells"].as_u64().is_some_and(|n| n > 0)
                && s["passed"] == s["cells"]
                && s["failed"] == 0
                && s["inconclusive"] == 0
                && s["unspecified"] == 0
        });
        let lint_errors: Vec<(String, String)> = run
            .json
            .as_ref()
            .and_then(|j| j["meta"]["lint"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter(|f| f["severity"] == "error")
            .map(|f| {
                (
                    f["rule"].as_str().unwrap_or("").to_string(),
                    f["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        // the hole's function, called: its call cells reach past RLS (suspicious), and every
        // other cell passes
        let hole_calls_only = |object: &str| {
            run.json.as_ref().is_some_and(|j| {
                let s = &j["summary"];
                let calls = j["functions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|c| {
                        c["action"] == "call"
                            && c["outcome"] == "suspicious"
                            && c["function"].as_str().is_some_and(|f| f.contains(object))
                    })
                    .count() as u64;
                calls > 0
                    && s["suspicious"] == calls
                    && s["passed"].as_u64() == s["cells"].as_u64().map(|n| n - calls)
            })
        };
        let ok = match hole {
            None => run.code == Some(0) && cells_pass && lint_errors.is_empty(),
            Some((_, rule, object)) => {
                run.code == Some(1)
                    && hole_calls_only(object)
                    && lint_errors
                        .iter()
                        .any(|(r, m)| r == rule && m.contains(object))
            }
        };
        (!ok).then(|| {
            format!(
                "{}: {} lint errors {lint_errors:?}",
                name(p),
                run.describe()
            )
        })
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(
        problems.is_empty(),
        "projects that do not pass:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn every_project_plants_enough_regressions() {
    for project in projects() {
        if WITHOUT_REGRESSIONS
            .iter()
            .any(|p| project == repo().join(p))
        {
            continue;
        }
        let files = regressions(&project);
        assert!(
            files.len() >= MIN_REGRESSIONS,
            "{} has {} regressions, wants at least {MIN_REGRESSIONS}",
            name(&project),
            files.len()
        );
        for file in files {
            let sql = fs::read_to_string(&file).unwrap();
            if let Err(why) = expectations(&sql) {
                panic!("{}: {why}", file.display());
            }
        }
    }
}

#[test]
fn every_regression_fails_on_the_cell_it_names() {
    let cases: Vec<(PathBuf, PathBuf)> = projects()
        .into_iter()
        .flat_map(|p| regressions(&p).into_iter().map(move |r| (p.clone(), r)))
        .collect();
    assert!(!cases.is_empty(), "no regressions found");
    let problems: Vec<String> = in_parallel(&cases, |(project, regression)| {
        let label = format!(
            "{} + {}",
            name(project),
            regression.file_name().unwrap().to_string_lossy()
        );
        let sql = fs::read_to_string(regression).unwrap();
        let expected = match expectations(&sql) {
            Ok(e) => e,
            Err(why) => return Some(format!("{label}: {why}")),
        };
        let copy = with_regression(project, regression);
        // Function cells are judged only in a run of every table.
        let mut tables: Vec<&str> = expected.iter().map(|c| c.table.as_str()).collect();
        if expected
            .iter()
            .any(|c| c.command == "execute" || c.command == "call")
        {
            tables.clear();
        }
        tables.sort_unstable();
        tables.dedup();
        let run = rlsgate_test(copy.path(), &tables);
        if run.code != Some(1) || run.json.is_none() {
            return Some(format!(
                "{label}: wanted exit 1 with JSON; {}",
                run.describe()
            ));
        }
        let failed: Vec<Cell> = run.cells_with_outcome("fail").collect();
        let missing: Vec<String> = expected
            .iter()
            .filter(|e| !failed.contains(e))
            .map(|e| e.to_string())
            .collect();
        (!missing.is_empty()).then(|| {
            format!(
                "{label}: no failed cell {}; {}",
                missing.join(", "),
                run.describe()
            )
        })
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(
        problems.is_empty(),
        "{} of {} regressions were not caught as declared:\n  {}",
        problems.len(),
        cases.len(),
        problems.join("\n  ")
    );
}

#[test]
fn expect_fail_headers_are_read_strictly() {
    let two = "-- expect-fail: table=public.a identity=anon command=select\n\
               -- expect-fail: table=b identity=bob command=update\nselect 1;";
    assert_eq!(
        expectations(two).unwrap(),
        vec![
            Cell {
                table: "public.a".into(),
                identity: "anon".into(),
                command: "select".into()
            },
            Cell {
                table: "public.b".into(),
                identity: "bob".into(),
                command: "update".into()
            },
        ]
    );
    assert_eq!(
        expectations("-- expect-fail: function=public.f(uuid, text) identity=anon").unwrap(),
        vec![Cell {
            table: "public.f(uuid, text)".into(),
            identity: "anon".into(),
            command: "execute".into()
        }]
    );
    assert!(expectations("select 1;").is_err());
    assert!(expectations("-- expect-fail: table=a identity=anon command=truncate").is_err());
    assert!(expectations("-- expect-fail: table=a command=select").is_err());
}

fn rlsgate_lint(project: &Path) -> (Option<i32>, Value, String) {
    let out = Command::new(BIN)
        .arg("--project")
        .arg(project)
        .args([
            "--quiet", "--color", "never", "lint", "--db", "--format", "json",
        ])
        .output()
        .expect("rlsgate runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn exec_sql_hole_is_caught_and_the_fixed_variant_is_clean() {
    let (code, json, stderr) = rlsgate_lint(&repo().join("examples/agent-creator"));
    assert_eq!(code, Some(1), "lint exit code; stderr: {stderr}\n{json:#}");
    let hole = json["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["rule"] == "security-definer-executable" && d["severity"] == "error");
    let hole = hole.unwrap_or_else(|| panic!("no security-definer-executable error:\n{json:#}"));
    assert_eq!(hole["object"], "public.exec_sql(text)", "{hole:#}");
    assert!(
        hole["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("supabase/migrations/20240301000000_exec_sql.sql")),
        "{hole:#}"
    );
    assert!(
        hole["message"]
            .as_str()
            .unwrap_or_default()
            .contains("anon"),
        "{hole:#}"
    );

    let (code, json, stderr) = rlsgate_lint(&repo().join("examples/agent-creator-fixed"));
    assert_eq!(code, Some(0), "lint exit code; stderr: {stderr}\n{json:#}");
}

#[test]
fn every_other_project_is_lint_clean() {
    let projects: Vec<PathBuf> = with_migrations()
        .into_iter()
        .filter(|p| !WITHOUT_REGRESSIONS.iter().any(|w| *p == repo().join(w)))
        .collect();
    let problems: Vec<String> = in_parallel(&projects, |p| {
        let (code, json, stderr) = rlsgate_lint(p);
        let findings = json["diagnostics"].as_array().map_or(usize::MAX, Vec::len);
        (code != Some(0) || findings != 0).then(|| {
            format!(
                "{}: exit {code:?}, {} finding(s)\n{json:#}\n{stderr}",
                name(p),
                if findings == usize::MAX {
                    "no JSON".to_string()
                } else {
                    findings.to_string()
                }
            )
        })
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(
        problems.is_empty(),
        "lint findings:\n{}",
        problems.join("\n")
    );
}
