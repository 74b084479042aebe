//! Every file under tests/data/specs/ok/ parses and validates; every file under err/ is
//! rejected, and the rendered message is snapshotted per file.

use std::fs;
use std::path::{Path, PathBuf};

use rlsgate::matrix::TableRef;
use rlsgate::spec::source::SourceFile;
use rlsgate::spec::{default_identities, SpecErrors, Specs};

fn tables() -> Vec<TableRef> {
    vec![
        TableRef::new("public", "profiles"),
        TableRef::new("public", "messages"),
        TableRef::new("public", "documents"),
        TableRef::new("storage", "objects"),
    ]
}

fn files(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/specs")
        .join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

fn check(path: &Path) -> Result<Specs, SpecErrors> {
    let name = Path::new("policy_specs").join(path.file_name().unwrap());
    let specs = Specs::from_sources(vec![SourceFile::new(
        name,
        fs::read_to_string(path).unwrap(),
    )])?;
    specs.validate(&tables(), &default_identities())?;
    Ok(specs)
}

#[test]
fn ok_files_are_accepted() {
    for path in files("ok") {
        if let Err(e) = check(&path) {
            panic!("{} was rejected:\n{}", path.display(), e.render(false));
        }
    }
}

#[test]
fn err_files_are_rejected_with_a_located_message() {
    for path in files("err") {
        let errors = match check(&path) {
            Ok(_) => panic!("{} was accepted", path.display()),
            Err(e) => e,
        };
        let text = errors.render(false);
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        assert!(
            text.contains(&format!("--> policy_specs/{name}.toml:")),
            "{text}"
        );
        insta::assert_snapshot!(name, text);
    }
}
