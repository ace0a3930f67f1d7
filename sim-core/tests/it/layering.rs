//! The layering of ARCHITECTURE.md as a test: modules above the engine's boundary never name
//! the engine (`swarm`), and the scenario types never name the economy's state. A `use` that
//! breaks a rule fails here with the file and the line.

use std::path::{Path, PathBuf};

/// (source path under `src/`, crate modules it must not name, why).
const RULES: &[(&str, &[&str], &str)] = &[
    (
        "boundary.rs",
        &["swarm", "sites", "agents"],
        "the boundary is plain data and a trait",
    ),
    (
        "sites",
        &["swarm", "agents"],
        "sites are institutions above the boundary",
    ),
    (
        "agents",
        &["swarm", "economy::ledger"],
        "agents act only through commands",
    ),
    ("economy", &["swarm"], "the economy is above the boundary"),
    (
        "report",
        &["swarm"],
        "reports are built from the plain run record",
    ),
    (
        "metrics.rs",
        &["swarm"],
        "the recorder reads plain swarm counts",
    ),
    (
        "record.rs",
        &["swarm", "economy"],
        "the run record is plain data",
    ),
    ("stats.rs", &["swarm", "economy"], "statistics are a leaf"),
    (
        "config",
        &["swarm", "economy", "report"],
        "scenario types are parse-only",
    ),
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .expect("source directory")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for e in entries {
            rust_files(&e, out);
        }
    } else if path.extension().is_some_and(|x| x == "rs") {
        out.push(path.to_path_buf());
    }
}

/// Whether `line` names crate module `module` (`crate::swarm`, `use crate::{swarm, …}`).
fn names(line: &str, module: &str) -> bool {
    let code = line.split("//").next().unwrap_or("");
    code.contains(&format!("crate::{module}::"))
        || code.contains(&format!("crate::{module};"))
        || code.contains(&format!("crate::{module}}}"))
        || (code.contains("crate::{")
            && code
                .split(['{', ',', '}', ' '])
                .any(|part| part == module || part.starts_with(&format!("{module}::"))))
}

#[test]
fn modules_above_the_boundary_never_name_the_engine() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for (path, forbidden, why) in RULES {
        let mut files = Vec::new();
        rust_files(&src.join(path), &mut files);
        assert!(!files.is_empty(), "no sources under src/{path}");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("source file");
            for (n, line) in text.lines().enumerate() {
                for module in *forbidden {
                    if names(line, module) {
                        broken.push(format!(
                            "{}:{}: names `{module}` ({why}): {}",
                            file.strip_prefix(&src).unwrap_or(&file).display(),
                            n + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn the_rule_recognises_the_forms_of_a_use() {
    assert!(names("use crate::swarm::Sim;", "swarm"));
    assert!(names("use crate::{config::X, swarm};", "swarm"));
    assert!(names("    let x = crate::swarm::Event::Sample;", "swarm"));
    assert!(!names("use crate::swarming::X;", "swarm"));
    assert!(!names("// crate::swarm::Sim in a comment", "swarm"));
}
