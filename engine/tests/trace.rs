//! Trace files: lossless round trips, clean refusal of bad input, and the rebuilt kernel
//! state matching the engine's at every step.

use daxlab::analysis::Snapshot;
use daxlab::scenario::{BUILTINS, builtin};
use daxlab::scenario::{RunConfig, execute, execute_with};
use daxlab::sim::{RandomScheduler, ReplayScheduler};
use daxlab::trace::{RecordMode, Trace, TraceError};
use daxlab::{Kernel, Scenario};

fn seed_trace() -> Trace {
    let sc = builtin("seed-race").unwrap().unwrap();
    let ex = execute(&sc, &RunConfig::new(Kernel::UNFIXED), &mut RandomScheduler::new(3));
    let mode = RecordMode::Explored { strategy: "random".into(), bound: None, seed: Some(3) };
    Trace::from_execution(&sc, Kernel::UNFIXED, mode, &ex)
}

#[test]
fn binary_and_json_round_trip_losslessly() {
    let t = seed_trace();
    let bin = t.encode_binary();
    assert_eq!(&bin[..8], b"DAXTRACE");
    assert_eq!(Trace::decode(&bin, "t.daxtrace").unwrap(), t);
    let json = t.encode_json();
    let from_json = Trace::decode(&json, "t.json").unwrap();
    assert_eq!(from_json, t);
    assert_eq!(from_json.encode_binary(), bin, "JSON → binary gives the same bytes");
}

fn err(bytes: &[u8]) -> TraceError {
    Trace::decode(bytes, "bad.daxtrace").expect_err("refused")
}

#[test]
fn bad_binary_input_is_refused_with_what_is_wrong() {
    let good = seed_trace().encode_binary();

    assert!(matches!(err(b""), TraceError::NotATrace { .. }));
    assert!(matches!(err(b"ELF\x7f...."), TraceError::NotATrace { .. }));
    assert!(matches!(err(&good[..9]), TraceError::Truncated { .. }));
    assert!(matches!(err(&good[..20]), TraceError::Truncated { .. }));
    assert!(matches!(err(&good[..good.len() - 1]), TraceError::BodyLength { .. }));

    let mut newer = good.clone();
    newer[8] = 9;
    let e = err(&newer);
    assert!(matches!(e, TraceError::Newer { version: 9, .. }));
    assert!(e.to_string().contains("format 9"), "{e}");

    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x40;
    assert!(matches!(err(&flipped), TraceError::Checksum { .. }));

    // A length prefix claiming gigabytes is refused before anything is allocated for it.
    let mut huge = good.clone();
    let at = 11 + usize::from(good[10]);
    huge[at..at + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(matches!(err(&huge), TraceError::BodyLength { claimed, .. } if claimed == 1 << 40));
}

/// A body that passes the checksum but is not a trace: the decoder must say so.
#[test]
fn a_well_framed_garbage_body_is_a_decode_error() {
    let good = seed_trace().encode_binary();
    let head = 11 + usize::from(good[10]) + 12;
    let mut bytes = good[..head].to_vec();
    let body = vec![0xff; 64];
    let at = 11 + usize::from(good[10]);
    bytes[at..at + 8].copy_from_slice(&(body.len() as u64).to_le_bytes());
    bytes[at + 8..at + 12].copy_from_slice(&crc32fast::hash(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    assert!(matches!(err(&bytes), TraceError::Decode { .. }));
}

#[test]
fn bad_json_input_is_refused_with_what_is_wrong() {
    let t = seed_trace();
    let json = String::from_utf8(t.encode_json()).unwrap();
    assert!(matches!(err(b"{ not json"), TraceError::Json { .. }));
    assert!(matches!(err(b"{\"format\": \"something-else\"}"), TraceError::Json { .. }));
    let current = format!("\"version\": {}", daxlab::trace::FORMAT_VERSION);
    assert!(json.contains(&current));
    let newer = json.replacen(&current, "\"version\": 7", 1);
    assert!(matches!(err(newer.as_bytes()), TraceError::Newer { version: 7, .. }));
    let zero = json.replacen(&current, "\"version\": 0", 1);
    assert!(err(zero.as_bytes()).to_string().contains("version 0 is not a trace format version"));
    // Version 1 had `variant` where version 2 has `kernel`: a version-2 body labelled 1
    // does not match it.
    let mislabelled = json.replacen(&current, "\"version\": 1", 1);
    assert!(err(mislabelled.as_bytes()).to_string().contains("(version 1)"));

    // Structurally fine, but naming a thread the scenario does not have.
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["trace"]["events"]["events"][0]["tid"] = serde_json::json!(9);
    let e = err(serde_json::to_string(&v).unwrap().as_bytes());
    assert!(e.to_string().contains("thread 9"), "{e}");

    // An event pointing past the source-file table.
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["trace"]["events"]["events"][0]["file"] = serde_json::json!(4000);
    let e = err(serde_json::to_string(&v).unwrap().as_bytes());
    assert!(e.to_string().contains("source file 4000"), "{e}");

    // The embedded scenario must itself be valid.
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["trace"]["scenario_source"] = serde_json::json!("name = 3");
    let e = err(serde_json::to_string(&v).unwrap().as_bytes());
    assert!(matches!(e, TraceError::Invalid { .. }), "{e}");

    // Invalid UTF-8 inside a JSON string.
    let mut raw = json.into_bytes();
    let pos = raw.windows(9).position(|w| w == b"seed-race").unwrap();
    raw[pos] = 0xff;
    assert!(matches!(err(&raw), TraceError::Json { .. }));
}

#[test]
fn saving_goes_through_a_temporary_file() {
    let dir = tempfile::Builder::new().prefix("daxlab-trace-").tempdir().expect("scratch").keep();
    let path = dir.join("t.daxtrace");
    let t = seed_trace();
    t.save(&path).unwrap();
    assert_eq!(Trace::load(&path).unwrap(), t);
    // Saving into a directory that does not exist fails and leaves nothing behind.
    let bad = dir.join("missing").join("t.daxtrace");
    assert!(t.save(&bad).is_err());
    assert!(std::fs::read_dir(&dir).unwrap().count() == 1);
}

/// Steps of `sc` under `schedule`, with the snapshot the engine itself holds after each.
fn engine_snapshots(sc: &Scenario, kernel: Kernel, ex: &daxlab::scenario::Execution) -> Vec<Snapshot> {
    (0..=ex.steps)
        .map(|k| {
            let cfg = RunConfig { max_steps: k, ..RunConfig::new(kernel) };
            let mut replay = ReplayScheduler::new(ex.schedule.0.clone());
            execute_with(sc, &cfg, &mut replay, Snapshot::capture).1
        })
        .collect()
}

fn check_rebuilt_state(sc: &Scenario, kernel: Kernel, seed: u64) {
    let ex = execute(sc, &RunConfig::new(kernel), &mut RandomScheduler::new(seed));
    let expected = engine_snapshots(sc, kernel, &ex);
    let mut rebuilt = Snapshot::capture(&sc.build(kernel));
    let mut events = ex.events.iter().peekable();
    for (k, want) in expected.iter().enumerate() {
        let (got, want) = (rebuilt.digest(), want.digest());
        if got != want {
            let (g, w) = (serde_json::to_value(&got).unwrap(), serde_json::to_value(&want).unwrap());
            let fields: Vec<String> = g
                .as_object()
                .unwrap()
                .iter()
                .filter(|(key, v)| w[key.as_str()] != **v)
                .map(|(key, v)| format!("{key}: rebuilt {v} / engine {}", w[key.as_str()]))
                .collect();
            let names = sc.thread_names();
            let recent: Vec<String> = ex
                .events
                .iter()
                .filter(|e| e.step + 3 >= k as u32 && (e.step as usize) < k)
                .map(|e| daxlab::trace::event_line(e, &names))
                .collect();
            panic!(
                "{} ({kernel}, seed {seed}): state before step {k} differs:\n{}\nlast events:\n{}",
                sc.name,
                fields.join("\n"),
                recent.join("\n")
            );
        }
        while let Some(e) = events.next_if(|e| e.step as usize == k) {
            rebuilt.apply(e);
        }
    }
}

#[test]
fn state_rebuilt_from_events_matches_the_engine_at_every_step() {
    for (name, _) in BUILTINS {
        let sc = builtin(name).unwrap().unwrap();
        for kernel in [Kernel::UNFIXED, Kernel::FIXED] {
            for seed in 0..6 {
                check_rebuilt_state(&sc, kernel, seed);
            }
        }
    }
}

#[test]
fn state_rebuilt_from_events_covers_holes_and_private_copies() {
    let sc = Scenario::from_toml(
        r#"
name = "mixed"
description = "hole reads, hole fill, a private copy"
[file]
size = "4MiB"
[[file.extent]]
offset = "2MiB"
length = "2MiB"
state = "written"
[[process]]
name = "shared"
mmap = { shared = true, length = "4MiB" }
[[process.thread]]
name = "R"
ops = [{ op = "load", at = 0x5000 }, { op = "store", at = 0x5000, value = 1 }, { op = "load", at = 0x200000 }]
[[process.thread]]
name = "W"
ops = [{ op = "fault", page = 0x5, size = "pte" }, { op = "store", at = 0x201000, value = 2 }]
[[process]]
name = "private"
mmap = { shared = false, length = "4MiB" }
[[process.thread]]
name = "P"
ops = [{ op = "load", at = 0x200008 }, { op = "store", at = 0x200008, value = 3 }]
"#,
        "test",
    )
    .unwrap();
    for seed in 0..64 {
        check_rebuilt_state(&sc, if seed % 2 == 0 { Kernel::UNFIXED } else { Kernel::FIXED }, seed);
    }
}

fn seed_witness(kernel: Kernel, label_part: &str) -> (Scenario, Trace) {
    use daxlab::explore::{ExploreConfig, explore, replay};
    let sc = builtin("seed-race").unwrap().unwrap();
    let cfg = ExploreConfig::exhaustive(kernel, 2);
    let r = explore(&sc, &cfg, &mut |_| {});
    let row = r.rows.iter().find(|row| row.label.contains(label_part)).expect("outcome class present");
    let (ex, _) = replay(&sc, kernel, &row.witness.schedule);
    let trace = Trace::from_execution(&sc, kernel, RecordMode::Replayed { from: "test".into() }, &ex);
    (sc, trace)
}

#[test]
fn analysis_finds_the_window_the_intruder_and_the_eexist_it_caused() {
    use daxlab::analysis::{EexistKind, analyze, narrate};
    let (sc, t) = seed_witness(Kernel::UNFIXED, "bug(pte-under-huge-pmd)");
    let a = analyze(&t.events);
    let t1 = daxlab::Tid(0);
    let t2 = daxlab::Tid(1);
    let w = a.windows.iter().find(|w| w.tid == t1).expect("T1's preload window");
    assert_eq!(w.index, 0x200);
    assert_eq!(w.intruders.len(), 1);
    assert_eq!((w.intruders[0].tid, w.intruders[0].index, w.intruders[0].order), (t2, 0x200, 9));
    let x = a.eexist.iter().find(|x| x.tid == t1).expect("T1's -EEXIST");
    assert_eq!(x.kind, EexistKind::Actual);
    assert_eq!(x.cause.as_ref().map(|c| c.tid), Some(t2));
    assert!(a.fallbacks.iter().any(|(t, _, r)| *t == t1 && r.name() == "grab-eexist"));
    assert!(a.wakeups.iter().any(|w| w.waker == t2 && w.woken == vec![t1]));
    let sentences = narrate(&t.events, &a, &sc.thread_names());
    assert_eq!(sentences.len(), t.events.len());
    assert!(sentences.iter().any(|s| s.contains("T1 drops tree_lock to preload") && s.contains("nothing stops T2")));
    assert!(sentences.iter().any(|s| s.contains("inside T1's preload window")));
}

#[test]
fn diff_shows_eexist_unfixed_and_the_relookup_restart_fixed_at_the_same_point() {
    use daxlab::trace::{EventKind, diff_kernels};
    let (sc, t) = seed_witness(Kernel::UNFIXED, "bug(pte-under-huge-pmd)");
    let d = diff_kernels(&t, &sc, t.kernel.counterpart());
    let (ri, ci) = d.part.expect("the kernels part");
    let unfixed = &d.recorded.1;
    let fixed = &d.carried.1;
    assert_eq!(d.carried.0, Kernel::FIXED);
    let at_part = &unfixed.events[ri];
    assert!(matches!(at_part.kind, EventKind::Insert { err: Some(daxlab::kernel::Errno::Eexist), .. }), "{at_part:?}");
    let other = &fixed.events[ci];
    assert!(matches!(other.kind, EventKind::Relookup { found: Some(_), .. }), "{other:?}");
    assert_eq!(at_part.tid, other.tid, "the same thread at the same point");
    assert!(fixed.events[ci..].iter().any(|e| matches!(e.kind, EventKind::Restart { .. })));
    assert!(unfixed.outcome.is_failure());
    assert!(!fixed.outcome.is_failure());
    // Before the parting point both sides agree event for event (the fixed side's empty
    // re-lookups aside).
    let shared = |events: &[daxlab::trace::Event], upto: usize| -> Vec<(daxlab::Tid, EventKind)> {
        events[..upto]
            .iter()
            .filter(|e| !matches!(e.kind, EventKind::Relookup { found: None, .. }))
            .map(|e| (e.tid, e.kind.clone()))
            .collect()
    };
    assert_eq!(shared(&unfixed.events, ri), shared(&fixed.events, ci));
}

#[test]
fn a_fixed_restart_carried_back_to_unfixed_meets_the_eexist() {
    use daxlab::trace::{EventKind, diff_kernels};
    let (sc, t) = seed_witness(Kernel::FIXED, "restart(relookup)");
    let d = diff_kernels(&t, &sc, t.kernel.counterpart());
    assert_eq!(d.carried.0, Kernel::UNFIXED);
    let unfixed = &d.carried.1;
    assert!(unfixed.events.iter().any(|e| matches!(e.kind, EventKind::Insert { order: 9, err: Some(_), .. })));
}

#[test]
fn a_timeline_gives_the_state_at_any_step() {
    use daxlab::analysis::Timeline;
    let (sc, t) = seed_witness(Kernel::UNFIXED, "bug(pte-under-huge-pmd)");
    let timeline = Timeline::new(&sc, Kernel::UNFIXED, t.events.clone());
    let expected = engine_snapshots(
        &sc,
        Kernel::UNFIXED,
        &execute(&sc, &RunConfig::new(Kernel::UNFIXED), &mut ReplayScheduler::new(t.schedule.0.clone())),
    );
    for (k, want) in expected.iter().enumerate() {
        assert_eq!(timeline.at_step(k as u32).digest(), want.digest(), "step {k}");
    }
    // Backwards as well as forwards.
    assert_eq!(timeline.at_step(3).digest(), expected[3].digest());
}

#[test]
fn the_interactive_scheduler_pauses_where_the_user_must_choose() {
    use daxlab::sim::{Decision, InteractiveScheduler};
    let sc = builtin("seed-race").unwrap().unwrap();
    let first = execute(&sc, &RunConfig::new(Kernel::UNFIXED), &mut InteractiveScheduler::new(vec![]));
    let pause = first.paused.clone().expect("two threads: the first pick is the user's");
    assert_eq!(pause.runnable.len(), 2);
    assert_eq!(pause.step, 0);
    // Run T1 seven times, then switch to T2 in the preload window, and so on: each answer
    // moves the pause forward and never rewinds the events already shown.
    let mut decisions = Vec::new();
    let mut last_events = 0;
    for _ in 0..7 {
        decisions.push(Decision::Run(daxlab::Tid(0)));
        let ex = execute(&sc, &RunConfig::new(Kernel::UNFIXED), &mut InteractiveScheduler::new(decisions.clone()));
        assert!(ex.events.len() >= last_events);
        last_events = ex.events.len();
        assert!(ex.paused.is_some());
    }
    decisions.push(Decision::Run(daxlab::Tid(1)));
    let ex = execute(&sc, &RunConfig::new(Kernel::UNFIXED), &mut InteractiveScheduler::new(decisions.clone()));
    assert_eq!(ex.paused.as_ref().map(|p| p.current), Some(Some(daxlab::Tid(1))));
    assert_eq!(ex.preemptions, 1);
}

#[test]
fn every_event_kind_is_named_as_its_json_tag() {
    use daxlab::trace::EventKind;
    let mut names: Vec<&str> = EventKind::NAMES.to_vec();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), EventKind::NAMES.len(), "the names are unique");
    let mut seen = std::collections::BTreeSet::new();
    for (name, _) in daxlab::scenario::BUILTINS {
        let sc = builtin(name).unwrap().unwrap();
        for v in [Kernel::UNFIXED, Kernel::FIXED] {
            let ex = execute(&sc, &RunConfig::new(v), &mut daxlab::sim::RandomScheduler::new(3));
            for e in &ex.events {
                let json = serde_json::to_value(&e.kind).unwrap();
                let tag =
                    json.as_object().and_then(|o| o.keys().next().cloned()).or_else(|| json.as_str().map(String::from));
                assert_eq!(tag.as_deref(), Some(e.kind.name()), "{:?}", e.kind);
                assert!(EventKind::NAMES.contains(&e.kind.name()));
                seen.insert(e.kind.name());
            }
        }
    }
    assert!(seen.len() > 20, "the built-ins exercise most kinds ({} seen)", seen.len());
}
