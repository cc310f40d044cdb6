//! "Step N" names one point of a trace everywhere daxlab shows it: `daxlab replay --to N`,
//! `daxlab figure state --step N` (the lesson's state figures) and the workbench's "go to
//! step N" all show the state right after the first event of step N.

use daxlab::analysis::{Timeline, describe_state};
use daxlab::figure::{Shape, StateAt, state};
use daxlab::trace::Trace;
use std::path::Path;
use std::process::Command;

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn figure_text(trace: &Trace, step: u32) -> String {
    let scene = state(trace, StateAt::Step(step)).expect("the figure draws");
    let texts: Vec<&str> = scene
        .shapes
        .iter()
        .filter_map(|s| match s {
            Shape::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    texts.join("\n")
}

fn replay_to(path: &Path, step: u32) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_daxlab"))
        .args(["replay", path.to_str().unwrap(), "--to", &step.to_string()])
        .output()
        .expect("daxlab runs");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The lesson's state figures and `replay --to` at the same steps.
#[test]
fn replay_to_and_the_state_figure_show_the_same_point() {
    let cases = [
        ("traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace", 7),
        ("traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace", 24),
        ("traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace", 53),
        ("traces/seed-race.fixed.same-interleaving.daxtrace", 26),
    ];
    for (file, step) in cases {
        let path = repo(file);
        let trace = Trace::load(&path).unwrap();
        let sc = trace.scenario().unwrap();
        let timeline = Timeline::new(&sc, trace.kernel, trace.events.clone());
        let pos = timeline.pos_of_step(step);
        assert_eq!(trace.events[pos - 1].step, step, "{file}: the point is inside step {step}");
        assert!(pos == 1 || trace.events[pos - 2].step < step, "{file}: ... right after its first event");

        let cli = replay_to(&path, step);
        assert!(cli.contains(&format!("(event {pos})")), "{file} --to {step}: {cli}");
        let want = describe_state(&timeline.after_events(pos), &sc.thread_names());
        assert!(cli.ends_with(&want), "{file} --to {step}:\n{cli}\nwant:\n{want}");

        let fig = figure_text(&trace, step);
        assert!(fig.contains(&format!("the state at step {step}")), "{fig}");
        assert!(fig.contains(&format!("after event {pos} of")), "{file} step {step}: {fig}");
    }
}

/// The lesson's caption of step 24: T1 has just retaken tree_lock, and T2's PMD entry
/// already covers 0x200-0x3ff.
#[test]
fn at_step_24_of_the_seed_race_t1_holds_tree_lock() {
    let cli = replay_to(&repo("traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace"), 24);
    assert!(cli.contains("tree_lock held by T1"), "{cli}");
    assert!(cli.contains("0x200-0x3ff    0x4000e (locked PMD sector 0x1000)"), "{cli}");
}

#[test]
fn a_step_past_the_end_is_refused() {
    let o = Command::new(env!("CARGO_BIN_EXE_daxlab"))
        .args(["replay", repo("traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace").to_str().unwrap()])
        .args(["--to", "4000000000"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("beyond the trace's last step 53"));
}
