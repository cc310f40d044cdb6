//! Embeds the engine's own source files, so the source panel can show the code each
//! emulated thread is running at the line its last event came from. Event locations are
//! recorded by `#[track_caller]` as workspace-relative paths such as
//! `engine/src/dax/grab.rs`, which is the key used here.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest.parent().expect("gui/ sits in the workspace").to_path_buf();
    let src = workspace.join("engine/src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    files.sort();
    let mut code = String::from("/// (workspace-relative path, text) of every engine source file.\n");
    code.push_str("pub const ENGINE_SOURCES: &[(&str, &str)] = &[\n");
    for f in &files {
        let rel = f.strip_prefix(&workspace).expect("under the workspace").to_string_lossy().replace('\\', "/");
        let _ = writeln!(code, "    ({rel:?}, include_str!({:?})),", f.display().to_string());
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("engine_sources.rs"), code).expect("OUT_DIR is writable");
    // The browser build has no file system: it carries the checked-in traces. Both builds
    // carry the challenge pack, so the scheduler mode offers it wherever it runs.
    let traces = embed(
        &workspace.join("traces"),
        "daxtrace",
        "(file name, bytes) of every checked-in trace.",
        "#[cfg_attr(not(target_arch = \"wasm32\"), allow(dead_code))]\npub const CHECKED_IN_TRACES: &[(&str, &[u8])]",
        "include_bytes",
    );
    let challenges = embed(
        &workspace.join("challenges"),
        "toml",
        "(file name, text) of every challenge in challenges/.",
        "pub const CHALLENGE_PACK: &[(&str, &str)]",
        "include_str",
    );
    std::fs::write(out.join("embedded.rs"), traces + &challenges).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed=../engine/src");
    println!("cargo:rerun-if-changed=../traces");
    println!("cargo:rerun-if-changed=../challenges");
    // DAXLAB_SKIP_WEB_TEST=1 marks the browser test ignored, so a run without the wasm32
    // target, wasm-bindgen and Chromium reports it as ignored rather than as passed.
    println!("cargo::rustc-check-cfg=cfg(daxlab_skip_web_test)");
    println!("cargo:rerun-if-env-changed=DAXLAB_SKIP_WEB_TEST");
    if std::env::var_os("DAXLAB_SKIP_WEB_TEST").is_some_and(|v| !v.is_empty() && v != "0") {
        println!("cargo:rustc-cfg=daxlab_skip_web_test");
    }
}

/// (file name, `include_bytes!` or `include_str!` of it) for every `*.ext` file in `dir`, as
/// a `const NAME: &[(&str, TYPE)]`.
fn embed(dir: &Path, ext: &str, doc: &str, decl: &str, include: &str) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == ext)).collect())
        .unwrap_or_default();
    files.sort();
    let mut code = format!("/// {doc}\n{decl} = &[\n");
    for f in &files {
        let name = f.file_name().expect("a file").to_string_lossy();
        let _ = writeln!(code, "    ({name:?}, {include}!({:?})),", f.display().to_string());
    }
    code.push_str("];\n");
    code
}
