#![no_main]
//! The static linter never panics on any bytes, and every location it reports lies inside the
//! file it names.

use libfuzzer_sys::fuzz_target;
use rlsgate::lint::{lint_sources, Config, SourceFile};

fuzz_target!(|data: &[u8]| {
    let (first, second) = data.split_at(data.len() / 2);
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for (name, bytes) in [("001.sql", first), ("002.sql", second)] {
        let (file, diag) = SourceFile::from_bytes(name.to_string(), bytes.to_vec());
        files.push(file);
        diagnostics.extend(diag);
    }
    let lengths: Vec<usize> = files.iter().map(|f| f.text.len()).collect();
    let out = lint_sources(files, &Config::default());
    for d in &out.diagnostics {
        let loc = d.location.as_ref().expect("static findings are located");
        let index = if loc.file == "001.sql" { 0 } else { 1 };
        assert!(loc.start <= loc.end && loc.end <= lengths[index], "{d:?}");
        assert!(loc.line >= 1 && loc.column >= 1);
    }
});
