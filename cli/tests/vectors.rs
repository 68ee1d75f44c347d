//! The committed test vectors are exactly what the documented command generates.

mod common;

use std::path::{Path, PathBuf};

/// Every file below `root` except Markdown, as paths relative to `root`, sorted.
fn files(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e != "md") {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[test]
fn regenerated_vectors_match_the_committed_ones() {
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let tmp = tempfile::tempdir().unwrap();
    common::doorpass_expect(&["vectors", "--out", &tmp.path().display().to_string()], 0);
    let names = files(&committed);
    assert_eq!(names, files(tmp.path()), "same set of files");
    assert!(names.len() >= 12);
    for name in names {
        assert_eq!(
            std::fs::read(committed.join(&name)).unwrap(),
            std::fs::read(tmp.path().join(&name)).unwrap(),
            "{} differs: regenerate with `cargo run -p doorpass -- vectors --out tests/vectors`",
            name.display()
        );
    }
}
