//! What the tool shows about a trace comes from replaying it: an edited outcome or event
//! is reported as "this trace does not replay", and exit codes follow the replay.

use daxlab::challenge::Challenge;
use daxlab::explore::{ExploreConfig, explore, witness_trace};
use daxlab::trace::{Mismatch, RecordMode, Trace, verify};
use daxlab::{Kernel, Outcome};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn seed() -> Trace {
    Trace::load(&root().join("traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace")).expect("loads")
}

/// The seed race's witness as JSON with `edit` applied, written to a fresh scratch folder.
fn edited(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut v: Value = serde_json::from_slice(&seed().encode_json()).expect("JSON");
    edit(&mut v);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(&v).expect("bytes")).expect("scratch is writable");
    path
}

fn outcome_ok(v: &mut Value) {
    v["trace"]["outcome"] = json!("ok");
}

fn store_value(v: &mut Value) {
    let e = v["trace"]["events"]["events"]
        .as_array_mut()
        .expect("events")
        .iter_mut()
        .find(|e| e["kind"].get("store").is_some())
        .expect("a store");
    e["kind"]["store"]["value"] = json!(0x1234);
}

fn daxlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_daxlab")).args(args).output().expect("runs")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn verify_reports_an_edited_outcome_and_an_edited_event() {
    let t = seed();
    let names = t.scenario().expect("parses").thread_names();
    let v = verify(&t, &t.scenario().expect("parses"));
    assert!(v.matches() && v.banner(&names).is_none());

    let mut lie = t.clone();
    lie.outcome = Outcome::Ok;
    let v = verify(&lie, &lie.scenario().expect("parses"));
    assert!(matches!(v.mismatch, Some(Mismatch::Summary { field: "outcome", .. })));
    assert_eq!(v.trace.outcome, t.outcome, "what is shown is the replay's outcome");
    let b = v.banner(&names).expect("a banner");
    assert_eq!(b, "this trace does not replay: the file says outcome ok, the replay gives bug(pte-under-huge-pmd)");

    let mut lie = t.clone();
    let i = lie.events.iter().position(|e| matches!(e.kind, daxlab::trace::EventKind::Store { .. })).expect("store");
    if let daxlab::trace::EventKind::Store { value, .. } = &mut lie.events[i].kind {
        *value = 0x1234;
    }
    let v = verify(&lie, &lie.scenario().expect("parses"));
    let b = v.banner(&names).expect("a banner");
    let step = t.events[i].step;
    assert!(
        b.starts_with(&format!("this trace does not replay: it diverges at step {step} (recorded: T2 stores 0x1234")),
        "{b}"
    );
    let same = v.trace.events.len() == t.events.len()
        && v.trace.events.iter().zip(&t.events).all(|(a, b)| daxlab::trace::same_event(a, b));
    assert!(same, "the replay's events are shown, not the edited one");
}

#[test]
fn commands_that_show_a_trace_say_it_does_not_replay_and_exit_1() {
    let dir = tempfile::tempdir().expect("scratch");
    for (name, edit) in [("outcome.json", outcome_ok as fn(&mut Value)), ("event.json", store_value)] {
        let path = edited(dir.path(), name, edit);
        let p = path.to_str().expect("utf-8");
        let svg = dir.path().join(format!("{name}.svg"));
        for args in [
            vec!["explain", p],
            vec!["export", p, "--format", "text"],
            vec!["export", p],
            vec!["figure", "sequence", p, "-o", svg.to_str().expect("utf-8")],
            vec!["diff", p],
            vec!["replay", p],
        ] {
            let o = daxlab(&args);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
            let said = text(&o);
            assert!(said.contains("this trace does not replay") || said.contains("DIVERGES"), "{args:?}: {said}");
        }
        let drawn = std::fs::read_to_string(&svg).expect("the figure is written");
        assert!(drawn.contains("this trace does not replay"), "the figure carries the banner");
    }
}

#[test]
fn exit_codes_follow_the_replay_not_the_file() {
    let dir = tempfile::tempdir().expect("scratch");
    // A fixed-kernel trace that ends well, edited to claim a failure.
    let fixed = root().join("traces/seed-race.fixed.same-interleaving.daxtrace");
    let o = daxlab(&["explain", fixed.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let mut t = Trace::load(&fixed).expect("loads");
    t.outcome = Outcome::Livelock { tid: None };
    let lie = dir.path().join("lie.daxtrace");
    t.save(&lie).expect("saves");
    let o = daxlab(&["explain", lie.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1), "a trace that does not replay exits 1");
    assert!(text(&o).contains("outcome: ok"), "the outcome shown is the replay's: {}", text(&o));
}

#[test]
fn a_challenge_judges_the_replay() {
    let c = Challenge::load(&root().join("challenges/02-first-blood.toml")).expect("loads");
    // The level may judge the witness either way; it is judged, not refused as a lie.
    let honest = c.check_trace(&seed());
    assert!(!honest.message.contains("does not replay"), "{}", honest.message);
    let mut lie = seed();
    let last = lie.events.len() - 1;
    lie.events.truncate(last);
    let v = c.check_trace(&lie);
    assert!(!v.passed && v.message.contains("does not replay"), "{}", v.message);
}

#[test]
fn a_witness_that_does_not_replay_is_refused() {
    let sc = daxlab::scenario::builtin("seed-race").expect("built in").expect("parses");
    let report = explore(&sc, &ExploreConfig::exhaustive(Kernel::UNFIXED, 2), &mut |_| {});
    let row = report.failures().next().expect("the seed race fails");
    let mode = || RecordMode::Replayed { from: "test".into() };
    let t = witness_trace(&sc, Kernel::UNFIXED, &row.witness, mode()).expect("replays");
    assert_eq!(t.outcome, row.witness.outcome);
    let mut w = row.witness.clone();
    w.outcome = Outcome::Ok;
    let e = witness_trace(&sc, Kernel::UNFIXED, &w, mode()).expect_err("refused");
    assert!(e.to_string().contains("does not replay"), "{e}");
    let mut w = row.witness.clone();
    w.schedule.0.truncate(1);
    assert!(witness_trace(&sc, Kernel::UNFIXED, &w, mode()).is_err());
}
