//! Robustness without nightly: thousands of pseudo-random inputs, built from SQL fragments and
//! raw bytes, through the splitter and the static linter. Nothing may panic, and every position
//! reported must index the input. (The cargo-fuzz targets in fuzz/ explore further.)

use rlsgate::lint::{lint_sources, Config, SourceFile};
use rlsgate::sql::{line_col, split};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const FRAGMENTS: &[&str] = &[
    "create table ",
    "public.",
    "\"Quoted\"",
    "t",
    " (id int)",
    ";",
    "\n",
    " ",
    "alter table ",
    " enable row level security",
    " disable row level security",
    "create policy p on ",
    " using (",
    "true",
    "auth.uid()",
    "(select auth.uid())",
    ")",
    " with check (",
    "$$",
    "$tag$",
    "'",
    "''",
    "E'\\''",
    "--",
    "/*",
    "*/",
    "do ",
    "begin atomic ",
    " end",
    "grant all on ",
    " to anon",
    "revoke execute on function f() from public, anon",
    "create function f() returns int language plpgsql security definer as ",
    "execute sql;",
    "create view v as select * from ",
    "drop table ",
    "é",
    "\u{0}",
    "create extension x",
    "alter default privileges revoke all on tables from anon",
    "user_metadata",
    "case when ",
    "alter table auth.users add column x int",
];

fn input(rng: &mut XorShift) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.below(40) {
        if rng.below(10) == 0 {
            out.push(rng.next() as u8);
        } else {
            out.extend_from_slice(FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes());
        }
    }
    out
}

#[test]
fn splitter_positions_are_consistent_on_random_input() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let bytes = input(&mut rng);
        let Ok(sql) = std::str::from_utf8(&bytes) else {
            continue;
        };
        match split(sql) {
            Ok(statements) => {
                for s in statements {
                    assert_eq!(&sql[s.start..s.end()], s.text);
                    assert_eq!((s.line, s.column), line_col(sql, s.token_start), "{sql:?}");
                }
            }
            Err(e) => assert_eq!((e.line, e.column), line_col(sql, e.offset), "{sql:?}"),
        }
    }
}

#[test]
fn static_lint_never_panics_on_random_input() {
    let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
    for _ in 0..3_000 {
        let files: Vec<SourceFile> = (0..1 + rng.below(3))
            .map(|i| SourceFile::from_bytes(format!("{i}.sql"), input(&mut rng)).0)
            .collect();
        let lengths: Vec<usize> = files.iter().map(|f| f.text.len()).collect();
        let out = lint_sources(files, &Config::default());
        for d in out.diagnostics {
            let loc = d.location.expect("static findings are located");
            let i: usize = loc.file.trim_end_matches(".sql").parse().unwrap();
            assert!(loc.end <= lengths[i] && loc.start <= loc.end, "{loc:?}");
        }
    }
}
