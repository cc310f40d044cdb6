//! Every command shown in README.md and docs/*.md (the lines of their ```sh blocks) still
//! works. Each document's commands run in order in a scratch folder of their own, holding a
//! copy of traces/ and challenges/, with `daxlab` on PATH being the binary this test was
//! built with (`cargo run --release -p daxlab --` is the same binary). A command works if it
//! exits 0 or 1 (1 is "a failure was found", which most examples show on purpose) without a
//! panic. The commands that cannot run here are listed in SKIP, each with its reason; a
//! skip entry that matches no command is an error too, so the list cannot go stale.
//! Synopses with placeholders belong in ```text blocks.

use std::path::{Path, PathBuf};
use std::process::Command;

/// (the start of a command, why the test does not run it)
const SKIP: &[(&str, &str)] = &[
    ("cargo run --release -p daxlab-gui", "opens a window: needs a display"),
    ("./test", "the test suite itself (after installing what it needs)"),
    ("cargo bench", "a long benchmark run"),
    ("rustup target add", "installs a toolchain component (network)"),
    ("cargo install", "installs a tool into ~/.cargo/bin (network)"),
    ("web/build.sh", "the wasm build; gui/tests/web.rs builds and loads it"),
    ("python3 -m http.server", "a web server that runs until stopped"),
    ("cd engine && RUSTC_BOOTSTRAP=1 cargo fuzz", "fuzzing: cargo-fuzz, minutes per target"),
    ("daxlab stress holetest --variant fixed --iterations 500", "a long run: 500 iterations of generic/340"),
    ("daxlab stress holetest --variant fixed --iterations 5 --pmem /dev/shm", "a long run on real threads"),
    ("daxlab stress holetest --variant unfixed --iterations 10 --record", "a long run on real threads"),
    (
        "daxlab replay races/generic340-unfixed-iter1-256M-posix_fallocate.daxtrace",
        "replays the trace the skipped stress run above records",
    ),
    ("cargo build --release -p daxlab", "builds daxlab itself; this test runs the binary cargo built for it"),
    ("engine/peers/run.sh", "builds loom and shuttle and compares them for minutes"),
    ("cargo test --release --manifest-path engine/peers/Cargo.toml", "the peer ports' own test suite (loom, shuttle)"),
    ("daxlab lab ", "boots Debian's kernel under QEMU (half a minute or more); engine/tests/lab.rs boots it"),
    ("daxlab import ftrace out/", "imports a capture of the skipped lab run; engine/tests/import.rs imports real ones"),
    ("daxlab explain seed-race.kernel.json", "reads the import above"),
    ("daxlab export seed-race.kernel.json", "reads the import above"),
];

struct DocCommand {
    file: String,
    line: usize,
    text: String,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The commands of one Markdown file: lines of ```sh, ```bash and ```console blocks, without
/// their trailing comments, with `cargo run --release -p daxlab --` written as `daxlab`.
fn commands(path: &Path) -> Vec<DocCommand> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = path.strip_prefix(root()).unwrap_or(path).display().to_string();
    let mut out = Vec::new();
    let mut shell = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            shell = match shell {
                Some(_) => None,
                None => Some(matches!(info.trim(), "sh" | "bash" | "console" | "shell")),
            };
            continue;
        }
        if shell != Some(true) {
            continue;
        }
        let command = line.split(" #").next().unwrap_or("").trim();
        if command.is_empty() || command.starts_with('#') {
            continue;
        }
        let command = command.replace("cargo run --release -p daxlab --", "daxlab");
        let text = command.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push(DocCommand { file: file.clone(), line: i + 1, text });
    }
    out
}

fn docs() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut md: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    md.sort();
    files.extend(md);
    files
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A fresh folder laid out like the repository for the commands of one document.
fn workspace(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("daxlab-doc-commands-{}", std::process::id())).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["traces", "challenges"] {
        copy_dir(&root().join(sub), &dir.join(sub));
    }
    // The figures' input data (stress results) lives beside the figures.
    let figures = dir.join("docs").join("figures");
    std::fs::create_dir_all(&figures).unwrap();
    for e in std::fs::read_dir(root().join("docs").join("figures")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            std::fs::copy(&p, figures.join(p.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// A folder holding `daxlab`, to put first on PATH.
fn bin_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("daxlab-doc-commands-{}", std::process::id())).join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("daxlab");
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_daxlab"), &link).unwrap();
    }
    dir
}

#[test]
fn every_command_in_the_docs_works() {
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let mut used = vec![false; SKIP.len()];
    let (mut ran, mut broken) = (0, Vec::new());
    for doc in docs() {
        let cmds = commands(&doc);
        if cmds.is_empty() {
            continue;
        }
        let cwd = workspace(&doc.file_stem().unwrap().to_string_lossy());
        for c in cmds {
            if let Some(k) = SKIP.iter().position(|(start, _)| c.text.starts_with(start)) {
                used[k] = true;
                eprintln!("skipped  {}:{}  {}  ({})", c.file, c.line, c.text, SKIP[k].1);
                continue;
            }
            let o = Command::new("sh").arg("-c").arg(&c.text).current_dir(&cwd).env("PATH", &path).output().unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            ran += 1;
            if !matches!(o.status.code(), Some(0 | 1)) || stderr.contains("panicked") {
                broken.push(format!("{}:{}: `{}` ended with {}:\n{stderr}", c.file, c.line, c.text, o.status));
            }
        }
    }
    let stale: Vec<&str> = SKIP.iter().zip(&used).filter(|(_, u)| !**u).map(|((s, _), _)| *s).collect();
    assert!(stale.is_empty(), "skip entries that match no command any more: {stale:?}");
    assert!(broken.is_empty(), "{} of {ran} documented commands no longer work:\n{}", broken.len(), broken.join("\n"));
    assert!(ran >= 20, "only {ran} commands ran: did the extraction break?");
}

#[test]
fn extraction_reads_sh_blocks_only_and_drops_comments() {
    let dir = std::env::temp_dir().join(format!("daxlab-doc-extract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let md = dir.join("x.md");
    std::fs::write(
        &md,
        "text\n```sh\ncargo run --release -p daxlab -- explore  seed-race   # find it\n\n# a comment\n```\n```text\ndaxlab figure TRACE\n```\n```toml\nname = 1\n```\n",
    )
    .unwrap();
    let c = commands(&md);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].text, "daxlab explore seed-race");
    assert_eq!(c[0].line, 3);
}
