//! Report files of one run: `--output FILE` and each `--also FORMAT=FILE`.

use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::Context;

/// The (format, file) pairs, refusing a file named twice: one report would overwrite another.
pub(crate) fn check<'a, F>(
    files: impl Iterator<Item = (F, &'a Path)>,
) -> anyhow::Result<Vec<(F, &'a Path)>> {
    let mut checked: Vec<(F, &'a Path)> = Vec::new();
    for (format, path) in files {
        if checked.iter().any(|(_, p)| same(p, path)) {
            anyhow::bail!(
                "{} is named twice among --output and --also: give each report its own file",
                path.display()
            );
        }
        checked.push((format, path));
    }
    Ok(checked)
}

fn same(a: &Path, b: &Path) -> bool {
    let plain = |p: &Path| -> PathBuf {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect()
    };
    plain(a) == plain(b)
}

/// Writes one report file through a buffer.
pub(crate) fn write(
    path: &Path,
    report: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    let mut file = io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    report(&mut file).with_context(|| format!("writing {}", path.display()))?;
    file.flush()
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_named_twice_is_refused() {
        let files = [(1, Path::new("a.json")), (2, Path::new("./a.json"))];
        let err = check(files.into_iter()).unwrap_err().to_string();
        assert!(err.contains("a.json is named twice"), "{err}");
        let files = [(1, Path::new("a.json")), (2, Path::new("a.sarif"))];
        assert_eq!(check(files.into_iter()).unwrap().len(), 2);
    }
}
