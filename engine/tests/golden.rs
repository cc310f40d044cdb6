//! Every checked-in trace replays to its golden transcript.
//!
//! After an intended change to the engine, regenerate them from the repository root with
//! `cargo run --release -p daxlab -- golden` and review the diff of replays/.

use daxlab::explore::golden_traces;
use daxlab::trace::{Trace, replay_trace, replay_transcript};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const REGENERATE: &str = "if the change is intended: cargo run --release -p daxlab -- golden";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn stems(dir: &Path, ext: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(ext).map(str::to_string))
        .collect()
}

/// The first difference between two texts, with a few lines of context.
fn first_difference(want: &str, got: &str) -> Option<String> {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let i = (0..w.len().max(g.len())).find(|&i| w.get(i) != g.get(i))?;
    let mut out = String::new();
    for line in &w[i.saturating_sub(3)..i] {
        out.push_str(&format!("      {line}\n"));
    }
    out.push_str(&format!("  -   {}\n", w.get(i).unwrap_or(&"(end of expected transcript)")));
    out.push_str(&format!("  +   {}\n", g.get(i).unwrap_or(&"(end of replay)")));
    Some(format!("line {}:\n{out}", i + 1))
}

#[test]
fn every_trace_replays_to_its_golden_transcript() {
    let traces = root().join("traces");
    let replays = root().join("replays");
    let names = stems(&traces, ".daxtrace");
    assert_eq!(names, stems(&replays, ".txt"), "every trace has a transcript and vice versa");
    assert!(!names.is_empty());
    let mut failures = Vec::new();
    for stem in &names {
        let trace = Trace::load(&traces.join(format!("{stem}.daxtrace"))).unwrap_or_else(|e| panic!("{e}"));
        let sc = trace.scenario().unwrap();
        let r = replay_trace(&trace, &sc, trace.kernel, None);
        if let Some(d) = r.divergence {
            failures.push(format!("{stem}: the replay diverges from the recorded events at event {}", d.index));
            continue;
        }
        let want = std::fs::read_to_string(replays.join(format!("{stem}.txt"))).unwrap();
        if let Some(diff) = first_difference(&want, &replay_transcript(&trace, &sc)) {
            failures.push(format!("{stem}: transcript differs at {diff}"));
        }
    }
    assert!(failures.is_empty(), "{}\n{REGENERATE}", failures.join("\n"));
}

#[test]
fn the_golden_set_covers_every_failure_class_of_every_builtin() {
    let want: BTreeSet<String> =
        golden_traces().expect("every witness replays").into_iter().map(|(stem, _)| stem).collect();
    let have = stems(&root().join("traces"), ".daxtrace");
    assert_eq!(want, have, "{REGENERATE}");
    assert!(have.contains("seed-race.unfixed.bug-pte-under-huge-pmd"));
    assert!(have.contains("seed-race.fixed.same-interleaving"));
}

#[test]
fn the_first_difference_is_reported_readably() {
    let d = first_difference("a\nb\nc\nd\n", "a\nb\nX\nd\n").unwrap();
    assert!(d.starts_with("line 3:"), "{d}");
    assert!(d.contains("-   c") && d.contains("+   X"), "{d}");
    assert_eq!(first_difference("same\n", "same\n"), None);
}

/// traces/ holds only traces, and every one of them replays exactly as recorded (events,
/// outcome, notes and counts).
#[test]
fn every_file_in_traces_is_a_trace_that_replays() {
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(root().join("traces")).expect("traces/") {
        let path = entry.expect("a directory entry").path();
        let name = path.display().to_string();
        match Trace::load(&path) {
            Err(e) => failures.push(format!("{name} is not a trace: {e}")),
            Ok(t) => {
                let sc = t.scenario().expect("a loaded trace's scenario validates");
                if let Some(b) = daxlab::trace::verify(&t, &sc).banner(&sc.thread_names()) {
                    failures.push(format!("{name}: {b}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
