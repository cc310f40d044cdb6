//! docs/lesson.md shows the model's grab_mapping_entry() beside the patch; the excerpt must
//! stay the model's own code (each line, in order, as in engine/src/dax/grab.rs).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The lines of the lesson's ```rust blocks.
fn rust_excerpts(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for line in text.lines() {
        match (&mut cur, line.trim_start().strip_prefix("```")) {
            (None, Some("rust")) => cur = Some(Vec::new()),
            (Some(_), Some(_)) => out.push(cur.take().unwrap_or_default()),
            (Some(lines), None) => lines.push(line.trim().to_string()),
            (None, _) => {}
        }
    }
    out
}

#[test]
fn the_lessons_excerpt_of_grab_mapping_entry_is_the_models_code() {
    let lesson = std::fs::read_to_string(root().join("docs/lesson.md")).unwrap();
    let source = std::fs::read_to_string(root().join("engine/src/dax/grab.rs")).unwrap();
    let source: Vec<&str> = source.lines().map(str::trim).collect();
    let excerpts = rust_excerpts(&lesson);
    assert_eq!(excerpts.len(), 1, "the lesson has one Rust excerpt");
    let mut at = 0;
    for line in excerpts[0].iter().filter(|l| !l.is_empty()) {
        match source[at..].iter().position(|s| s == line) {
            Some(k) => at += k + 1,
            None => {
                panic!("the lesson's excerpt line `{line}` is not in grab.rs (in this order); update docs/lesson.md")
            }
        }
    }
}
