//! Figures: every checked-in trace draws, the drawings carry what a reader looks for, bad
//! input is refused with a reason, and the figures of docs/ are what the traces draw today.

use daxlab::figure::{
    self, DOC_FIGURES, DocInputs, ExploreFigure, FigureError, Format, Shape, StateAt, StepRange, StressResults,
    explore_figure, stress_figure,
};
use daxlab::trace::Trace;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn trace(stem: &str) -> Trace {
    Trace::load(&root().join("traces").join(format!("{stem}.daxtrace"))).unwrap()
}

fn all_traces() -> Vec<(String, Trace)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root().join("traces")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "daxtrace") {
            out.push((p.file_name().unwrap().to_string_lossy().into_owned(), Trace::load(&p).unwrap()));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn svg_of(scene: &figure::Scene) -> String {
    String::from_utf8(scene.encode(Format::Svg).unwrap()).unwrap()
}

/// A file in a scratch folder of its own (removed when the returned guard drops).
fn scratch(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("scratch");
    let path = dir.path().join(name);
    (dir, path)
}

#[test]
fn every_checked_in_trace_draws_a_sequence_and_its_states() {
    for (name, t) in all_traces() {
        let sc = t.scenario().unwrap();
        let seq = figure::sequence(&t, StepRange::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let svg = svg_of(&seq);
        assert!(svg.starts_with("<svg"), "{name}");
        for thread in sc.thread_names() {
            assert!(seq.texts().any(|s| s == thread), "{name}: a column for {thread}");
        }
        let last = t.events.last().unwrap().step;
        for at in [StateAt::Step(0), StateAt::Step(last / 2), StateAt::Step(last), StateAt::Event(t.events.len())] {
            figure::state(&t, at).unwrap_or_else(|e| panic!("{name} at {at:?}: {e}"));
        }
    }
}

#[test]
fn the_seed_race_diagram_marks_the_window_the_eexist_and_the_bug() {
    let t = trace("seed-race.unfixed.bug-pte-under-huge-pmd");
    let svg = svg_of(&figure::sequence(&t, StepRange::default()).unwrap());
    for want in
        ["race window at 0x200", "T1", "T2", "-EEXIST", "BUG: pte-under-huge-pmd", "preemption 1:", "preemption 2:"]
    {
        assert!(svg.contains(want), "the diagram says {want:?}");
    }
    // Step numbers in the gutter: the window opens at 6, T2 inserts at 17, -EEXIST at 25.
    for step in ["6", "17", "25", "53"] {
        assert!(
            svg.contains(&format!(">\n{step}\n</text>")) || svg.contains(&format!(">{step}</text>")),
            "step {step}"
        );
    }
    let fixed = trace("seed-race.fixed.same-interleaving");
    let scene = figure::sequence(&fixed, StepRange::default()).unwrap();
    assert!(scene.texts().any(|s| s == "goto restart"), "the fix's restart is marked");
    assert!(scene.texts().any(|s| s.starts_with("re-lookup 0x200 → 0x4000e")));
    assert!(!scene.texts().any(|s| s.contains("BUG")));
}

#[test]
fn a_step_range_shows_only_its_steps() {
    let t = trace("seed-race.unfixed.bug-pte-under-huge-pmd");
    let scene = figure::sequence(&t, StepRange { from: Some(9), to: Some(27) }).unwrap();
    let texts: Vec<&str> = scene.texts().collect();
    assert!(texts.iter().any(|s| s.starts_with("steps 9–27 of 0–53")), "{:?}", &texts[..3]);
    assert!(texts.contains(&"insert 0x200 → -EEXIST"));
    assert!(!texts.iter().any(|s| s.contains("BUG")), "step 53 is outside");
    assert!(!texts.contains(&"53"));
}

#[test]
fn a_long_trace_defaults_to_a_window_and_three_threads_get_three_columns() {
    let t = trace("drop-caches-mapped-entry.unfixed.livelock");
    let scene = figure::sequence(&t, StepRange::default()).unwrap();
    let head = scene.texts().find(|s| s.starts_with("steps ")).unwrap().to_string();
    assert!(!head.starts_with("steps 0–"), "a long trace opens on a window, not from step 0: {head}");
    let three = trace("hole-read-then-write.unfixed.bug-hole-page-over-wrong-entry");
    let scene = figure::sequence(&three, StepRange::default()).unwrap();
    for name in ["T0", "T1", "T2"] {
        assert!(scene.texts().any(|s| s == name));
    }
}

#[test]
fn the_state_figure_shows_the_tree_the_lock_and_the_page_tables() {
    let t = trace("seed-race.unfixed.bug-pte-under-huge-pmd");
    let at24 = figure::state(&t, StateAt::Step(24)).unwrap();
    let texts: Vec<&str> = at24.texts().collect();
    assert!(texts.iter().any(|s| s.contains("tree_lock held by T1")), "T1 has just retaken tree_lock");
    assert!(texts.iter().any(|s| s.starts_with("0x4000e = locked PMD sector 0x1000")), "T2's PMD entry spans the row");
    assert!(texts.iter().any(|s| s.contains("none")));
    let at53 = figure::state(&t, StateAt::Step(53)).unwrap();
    assert!(at53.texts().any(|s| s.contains("HUGE devmap")));
    assert!(at53.texts().any(|s| s.starts_with("BUG: 4 KiB PTE for 0x7f0000205000")));
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let t = trace("seed-race.unfixed.bug-pte-under-huge-pmd");
    let e = figure::sequence(&t, StepRange { from: Some(0), to: Some(999) }).unwrap_err();
    assert!(e.to_string().contains("step 999 is beyond the trace's last step 53"), "{e}");
    let e = figure::sequence(&t, StepRange { from: Some(30), to: Some(3) }).unwrap_err();
    assert!(e.to_string().contains("after its end"), "{e}");
    let e = figure::state(&t, StateAt::Event(10_000)).unwrap_err();
    assert!(e.to_string().contains("beyond the trace's 126 events"), "{e}");
    let e = figure::state(&t, StateAt::Step(54)).unwrap_err();
    assert!(matches!(e, FigureError::Input(_)), "{e}");
    let e = Format::of(Path::new("out.jpg")).unwrap_err();
    assert!(e.to_string().contains("name the output .svg or .png"), "{e}");
}

#[test]
fn png_output_is_a_png_and_saves_atomically() {
    let t = trace("seed-race.fixed.same-interleaving");
    let (_dir, path) = scratch("seed.png");
    figure::sequence(&t, StepRange { from: Some(20), to: Some(30) }).unwrap().save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let leftovers = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains(".tmp"));
    assert_eq!(leftovers.count(), 0);
}

#[test]
fn the_explore_figure_counts_outcomes_per_kernel_and_bound() {
    let sc = daxlab::scenario::builtin("seed-race").unwrap().unwrap();
    let scene = explore_figure(&ExploreFigure::run(&sc, &daxlab::explore::GOLDEN_KERNELS, 2)).unwrap();
    let texts: Vec<&str> = scene.texts().collect();
    assert!(texts.contains(&"bug(pte-under-huge-pmd)"));
    assert!(texts.iter().any(|s| s.starts_with("fails: bug(pte-under-huge-pmd) — first with 2 preemptions")));
    assert!(texts.contains(&"no failure within 2 preemptions"));
    assert!(texts.contains(&"≤ 2 preemptions"));
}

const STRESS: &str = r#"{
  "format": "daxlab-stress", "version": 1, "title": "holetest, 2 threads (synthetic)",
  "runs": [
    { "variant": "unfixed", "iterations": 50, "first_failure": 3, "outcome": "bug(pte-under-huge-pmd)",
      "samples": [ { "t": 0.1, "faults_per_sec": 90000 }, { "t": 0.2, "faults_per_sec": 95000 } ] },
    { "variant": "unfixed", "iterations": 50, "first_failure": 9,
      "samples": [ { "t": 0.1, "faults_per_sec": 88000 }, { "t": 0.3, "faults_per_sec": 91000 } ] },
    { "variant": "fixed", "iterations": 50, "first_failure": null,
      "samples": [ { "t": 0.5, "faults_per_sec": 87000 }, { "t": 1.0, "faults_per_sec": 86000 } ] }
  ]
}"#;

#[test]
fn stress_results_draw_and_bad_results_are_refused() {
    let r = StressResults::from_json(STRESS, "synthetic").unwrap();
    let scene = stress_figure(&r).unwrap();
    let texts: Vec<&str> = scene.texts().collect();
    for want in ["first failing iteration of each run", "faults per second over time", "unfixed: 2 run(s), 2 failed"] {
        assert!(texts.contains(&want), "{want}: {texts:?}");
    }
    assert!(texts.contains(&"fixed: 1 run(s), 0 failed"));
    // 50 iterations in bins of 3: the run that failed first in iteration 3 is counted in
    // the first column, and the label nearest that column's bar says so.
    let bar = scene
        .shapes
        .iter()
        .find_map(|s| match s {
            Shape::Rect { from, to, fill: Some(_), .. } if from.1 > 100 && to.0 - from.0 < 40 => {
                Some((from.0 + to.0) / 2)
            }
            _ => None,
        })
        .expect("a histogram bar");
    let nearest = scene
        .shapes
        .iter()
        .filter_map(|s| match s {
            Shape::Text { at, text, .. } if text == "none" || text.contains('–') => Some(((at.0 - bar).abs(), text)),
            _ => None,
        })
        .min()
        .expect("column labels");
    assert_eq!(nearest.1, "1–3", "the first column counts iterations 1 to 3");
    assert!(texts.contains(&"none"), "the last column is runs without a failure");
    svg_of(&scene);
    let bad = STRESS.replace("\"first_failure\": 9", "\"first_failure\": 0");
    let e = StressResults::from_json(&bad, "bad.json").unwrap_err();
    assert!(e.to_string().contains("run 1: first_failure must be between 1 and iterations"), "{e}");
    let e = StressResults::from_json("{\"format\": \"other\", \"version\": 1, \"runs\": []}", "x.json").unwrap_err();
    assert!(e.to_string().contains("expected \"daxlab-stress\""), "{e}");
}

/// The committed figures of docs/, SVG and PNG (the PNGs are what the lesson shows), are
/// exactly what the traces draw today; docs/figures/ holds nothing else but their data.
#[test]
fn the_figures_in_docs_are_up_to_date() {
    let dir = root().join("docs").join("figures");
    let tmp = tempfile::tempdir().expect("scratch");
    let from = DocInputs { traces: &root().join("traces"), data: &dir };
    let written = figure::write_doc_figures(from, tmp.path(), &[Format::Svg, Format::Png]).unwrap();
    assert_eq!(written.len(), 2 * DOC_FIGURES.len());
    let mut stale = Vec::new();
    for f in DOC_FIGURES {
        for ext in ["svg", "png"] {
            let name = format!("{}.{ext}", f.name);
            let want = std::fs::read(tmp.path().join(&name)).unwrap();
            match std::fs::read(dir.join(&name)) {
                Ok(have) if have == want => {}
                Ok(_) => stale.push(format!("{name} is out of date")),
                Err(_) => stale.push(format!("{name} is missing")),
            }
        }
    }
    assert!(
        stale.is_empty(),
        "{}\nregenerate them: cargo run --release -p daxlab -- figures docs/figures",
        stale.join("\n")
    );
    let lesson = std::fs::read_to_string(root().join("docs").join("lesson.md")).unwrap();
    for f in DOC_FIGURES {
        assert!(lesson.contains(&format!("figures/{}.png", f.name)), "the lesson shows {}", f.name);
    }
    let data: Vec<String> =
        DOC_FIGURES.iter().filter_map(|f| f.input().strip_prefix("docs/figures/").map(str::to_string)).collect();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let n = entry.unwrap().file_name().to_string_lossy().into_owned();
        let stem = n.rsplit_once('.').map_or(n.as_str(), |(s, _)| s);
        let made = DOC_FIGURES.iter().any(|f| f.name == stem) && (n.ends_with(".svg") || n.ends_with(".png"));
        assert!(made || data.contains(&n), "docs/figures/{n} is neither made by `daxlab figures` nor one's data");
    }
}

fn daxlab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_daxlab")).args(args).output().expect("daxlab runs")
}

#[test]
fn the_figure_command_writes_figures_and_exits_2_on_bad_input() {
    let seed = root().join("traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace");
    let seed = seed.to_str().unwrap();
    let (_d1, out) = scratch("cli-seq.svg");
    let o = daxlab(&["figure", "sequence", seed, "--from", "4", "--to", "27", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read_to_string(&out).unwrap().contains("-EEXIST"));
    let (_d2, png) = scratch("cli-state.png");
    let o = daxlab(&["figure", "state", seed, "--step", "24", "-o", png.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    for (args, says) in [
        (vec!["figure", "sequence", seed, "-o", "x.pdf"], "unknown figure format"),
        (vec!["figure", "sequence", "missing.daxtrace", "-o", "x.svg"], "missing.daxtrace"),
        (vec!["figure", "state", seed, "--step", "400", "-o", "x.svg"], "beyond the trace's last step"),
        (vec!["figure", "stress", seed, "-o", "x.svg"], "not stress results"),
        (vec!["figure", "explore", "no-such-scenario", "-o", "x.svg"], "no built-in scenario"),
    ] {
        let o = daxlab(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains(says), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
}
