//! Perfetto (Chrome trace-event JSON) exports checked against the format's rules.

use daxlab::analysis::to_perfetto;
use daxlab::explore::{ExploreConfig, explore, replay};
use daxlab::scenario::{BUILTINS, builtin};
use daxlab::scenario::{RunConfig, execute};
use daxlab::sim::RandomScheduler;
use daxlab::trace::{RecordMode, Trace, transcript};
use daxlab::{Kernel, Scenario};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The rules Perfetto's JSON importer relies on: every event has name/ph/pid/tid (and ts
/// unless metadata), B/E nest per track, X has a duration, instants are thread-scoped,
/// and each flow start has a finish with the same id, category and name, later in time,
/// both ends sitting inside an X slice on their track, the finish bound to it ("bp": "e").
fn validate(v: &Value) -> Result<(), String> {
    let events = v["traceEvents"].as_array().ok_or("no traceEvents array")?;
    let mut stacks: BTreeMap<(u64, u64), Vec<(String, f64)>> = BTreeMap::new();
    let mut x_slices: BTreeSet<(u64, u64, String, u64)> = BTreeSet::new();
    let mut flow_starts: BTreeMap<(u64, String, String), f64> = BTreeMap::new();
    let mut flow_ends = Vec::new();
    let mut named_tracks = BTreeSet::new();
    for (i, e) in events.iter().enumerate() {
        let name = e["name"].as_str().ok_or(format!("event {i}: no name"))?.to_string();
        let ph = e["ph"].as_str().ok_or(format!("event {i}: no ph"))?;
        let pid = e["pid"].as_u64().ok_or(format!("event {i}: no pid"))?;
        let tid = e["tid"].as_u64().ok_or(format!("event {i}: no tid"))?;
        if ph == "M" {
            if name == "thread_name" {
                named_tracks.insert((pid, tid));
            }
            if e["args"].get("name").is_none() && e["args"].get("sort_index").is_none() {
                return Err(format!("event {i}: metadata without args"));
            }
            continue;
        }
        let ts = e["ts"].as_f64().ok_or(format!("event {i}: no ts"))?;
        if ts < 0.0 {
            return Err(format!("event {i}: negative ts"));
        }
        let stack = stacks.entry((pid, tid)).or_default();
        match ph {
            "B" => stack.push((name, ts)),
            "E" => {
                let (open, since) = stack.pop().ok_or(format!("event {i}: E `{name}` with nothing open"))?;
                if open != name || ts < since {
                    return Err(format!("event {i}: E `{name}` closes `{open}` (not LIFO)"));
                }
            }
            "X" => {
                let dur = e["dur"].as_f64().ok_or(format!("event {i}: X without dur"))?;
                if dur < 0.0 {
                    return Err(format!("event {i}: negative dur"));
                }
                x_slices.insert((pid, tid, name, ts.to_bits()));
            }
            "i" => {
                if e["s"].as_str() != Some("t") {
                    return Err(format!("event {i}: instant not thread-scoped"));
                }
            }
            "s" | "f" => {
                let id = e["id"].as_u64().ok_or(format!("event {i}: flow without id"))?;
                let cat = e["cat"].as_str().unwrap_or("").to_string();
                if !x_slices.contains(&(pid, tid, name.clone(), ts.to_bits())) {
                    return Err(format!("event {i}: flow `{name}` not inside an X slice"));
                }
                if ph == "s" {
                    flow_starts.insert((id, cat, name), ts);
                } else {
                    if e["bp"].as_str() != Some("e") {
                        return Err(format!("event {i}: flow finish without bp=e"));
                    }
                    flow_ends.push(((id, cat, name), ts, i));
                }
            }
            other => return Err(format!("event {i}: unexpected phase {other}")),
        }
        if !named_tracks.contains(&(pid, tid)) {
            return Err(format!("event {i}: track {tid} has no thread_name"));
        }
    }
    for (key, ts, i) in flow_ends {
        let start = flow_starts.get(&key).ok_or(format!("event {i}: flow finish without a start"))?;
        if *start > ts {
            return Err(format!("event {i}: flow finishes before it starts"));
        }
    }
    if let Some(((_, tid), open)) = stacks.iter().find(|(_, s)| !s.is_empty()) {
        return Err(format!("track {tid}: {} slices never closed", open.len()));
    }
    Ok(())
}

fn trace_of(sc: &Scenario, kernel: Kernel, ex: &daxlab::scenario::Execution) -> Trace {
    Trace::from_execution(sc, kernel, RecordMode::Replayed { from: "test".into() }, ex)
}

#[test]
fn seed_witness_export_is_valid_and_shows_the_race() {
    let sc = builtin("seed-race").unwrap().unwrap();
    let r = explore(&sc, &ExploreConfig::exhaustive(Kernel::UNFIXED, 2), &mut |_| {});
    let (ex, _) = replay(&sc, Kernel::UNFIXED, &r.failures().next().unwrap().witness.schedule);
    let v = to_perfetto(&trace_of(&sc, Kernel::UNFIXED, &ex), &sc.thread_names());
    validate(&v).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    let names: BTreeSet<&str> = events.iter().filter_map(|e| e["name"].as_str()).collect();
    let tracks: BTreeSet<&str> =
        events.iter().filter(|e| e["name"] == "thread_name").filter_map(|e| e["args"]["name"].as_str()).collect();
    assert_eq!(tracks, BTreeSet::from(["T1", "T1 · locks", "T2", "T2 · locks"]));
    for expected in ["grab_mapping_entry", "dax_iomap_pmd_fault", "tree_lock held", "-EEXIST", "BUG", "wake-up"] {
        assert!(names.contains(expected), "missing {expected}: {names:?}");
    }
}

#[test]
fn exports_of_many_runs_are_valid() {
    for (name, _) in BUILTINS {
        let sc = builtin(name).unwrap().unwrap();
        for kernel in [Kernel::UNFIXED, Kernel::FIXED] {
            for seed in 0..6 {
                let ex = execute(&sc, &RunConfig::new(kernel), &mut RandomScheduler::new(seed));
                let v = to_perfetto(&trace_of(&sc, kernel, &ex), &sc.thread_names());
                validate(&v).unwrap_or_else(|e| panic!("{name} ({kernel}) seed {seed}: {e}"));
            }
        }
    }
}

#[test]
fn the_validator_rejects_what_perfetto_would_misread() {
    let bad_nesting = serde_json::json!({"traceEvents": [
        {"name": "thread_name", "ph": "M", "pid": 1, "tid": 1, "args": {"name": "T1"}},
        {"name": "a", "ph": "B", "pid": 1, "tid": 1, "ts": 0},
        {"name": "b", "ph": "B", "pid": 1, "tid": 1, "ts": 1},
        {"name": "a", "ph": "E", "pid": 1, "tid": 1, "ts": 2},
    ]});
    assert!(validate(&bad_nesting).is_err());
    let dangling_flow = serde_json::json!({"traceEvents": [
        {"name": "thread_name", "ph": "M", "pid": 1, "tid": 1, "args": {"name": "T1"}},
        {"name": "w", "ph": "X", "pid": 1, "tid": 1, "ts": 3, "dur": 0.1},
        {"name": "w", "ph": "f", "id": 1, "bp": "e", "pid": 1, "tid": 1, "ts": 3, "cat": "flow"},
    ]});
    assert!(validate(&dangling_flow).is_err());
}

#[test]
fn text_export_is_the_transcript() {
    let sc = builtin("seed-race").unwrap().unwrap();
    let ex = execute(&sc, &RunConfig::new(Kernel::FIXED), &mut RandomScheduler::new(1));
    let text = transcript(&ex.events, &ex.outcome, &sc.thread_names());
    assert_eq!(text.lines().count(), ex.events.len() + 1);
    assert!(text.ends_with(&format!("outcome: {}\n", ex.outcome)));
}
