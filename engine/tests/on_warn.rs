//! `on_warn = "continue"`: a WARN is recorded and the kernel carries on past it, doing what
//! the code after that WARN_ON does; a BUG still ends the run.
//!
//! The built-in hole-page-over-pmd (on_warn = "continue"): process A stores through a
//! 2 MiB DAX mapping of a hole, so its write fault allocates blocks and inserts a PMD entry;
//! process B maps only 1 MiB of the file, so its read of the same page is a 4 KiB fault. If
//! B's ->iomap_begin saw the hole before A allocated, B's grab_mapping_entry() returns A's
//! PMD entry (locked by B) and dax_load_hole() inserts a hole page there. v4.11's
//! page_cache_tree_insert() (mm/filemap.c) WARNs because the slot does not hold the locked
//! empty 4 KiB entry, and then carries on: nrexceptional--, wake every waiter on the key of
//! the old entry, and __radix_tree_replace() the canonical slot with the page, leaving the
//! sibling slots pointing at it and the tags as they were. So the page stands for all 512
//! indices, DIRTY still set, and B maps that zeroed page where the file has A's data.

mod common;

use common::*;
use daxlab::check::{OnWarn, Outcome};
use daxlab::dax::{RADIX_DAX_ENTRY_LOCK, dax_is_pmd_entry};
use daxlab::explore::ExploreReport;
use daxlab::mm::{PmdSlot, PteKind};
use daxlab::radix::{Item, PAGECACHE_TAG_DIRTY};
use daxlab::trace::{EventKind as E, RecordMode, Syscall, Trace, verify};
use daxlab::{Invariant, Kernel, Scenario};
use std::collections::BTreeSet;

const BASE: u64 = 0x7f00_0000_0000;
/// A's store and B's load: file page 0x205, inside the PMD range 0x200..0x3ff.
const AT: u64 = 0x20_5000;
const VALUE: u64 = 0xabcd;

const STORE: &str = r#"{ op = "store", at = 0x205000, value = 0xabcd }"#;

fn hole_over_pmd() -> Scenario {
    let sc = load("hole-page-over-pmd");
    assert!(sc.source.contains(STORE), "the tests below read A's store from the scenario");
    sc
}

/// The same, with A calling fsync(2) after its store.
fn hole_over_pmd_then_fsync() -> Scenario {
    parse(&hole_over_pmd().source.replace(STORE, &format!(r#"{STORE}, {{ op = "fsync" }}"#)))
}

fn carrying_on(sc: Scenario) -> Scenario {
    sc.with_on_warn(OnWarn::Continue).expect("the key is valid")
}

fn is_warned(o: &Outcome) -> bool {
    matches!(o, Outcome::Warned { .. })
}

fn failure_classes(r: &ExploreReport) -> BTreeSet<String> {
    classes(r)
}

/// The classes without a failure, each with its number of executions.
fn ok_rows(r: &ExploreReport) -> BTreeSet<(String, u64)> {
    r.rows.iter().filter(|row| !row.failure).map(|row| (row.label.clone(), row.executions)).collect()
}

#[test]
fn the_hole_page_takes_the_whole_pmd_entrys_place_and_the_kernel_goes_on() {
    let sc = hole_over_pmd();
    for kernel in BOTH {
        let (ex, s) = find(&sc, kernel, 1, |ex| is_warned(&ex.outcome)).expect("one preemption reaches the WARN");

        // The WARN: B's hole page met A's PMD entry, which B had locked.
        let warn = pos(&ex, 0, |k| matches!(k, E::Bug { invariant: Invariant::HolePageOverWrongEntry { .. } }))
            .expect("the WARN is logged");
        let E::Bug { invariant: Invariant::HolePageOverWrongEntry { index, found: Some(Item::Exceptional(v)) } } =
            ex.events[warn].kind.clone()
        else {
            panic!("the WARN names what the slot held");
        };
        assert_eq!(index, 0x205);
        assert!(dax_is_pmd_entry(v) && v & RADIX_DAX_ENTRY_LOCK != 0, "{v:#x}: A's PMD entry, locked by B");
        assert_eq!(ex.events[warn].tid.0, 1);

        // After it, the page goes in where the entry was (the wake-all finds no waiter).
        let insert = pos(&ex, warn, |k| matches!(k, E::PageCacheInsert { .. })).expect("the page is inserted");
        assert!(
            matches!(ex.events[insert].kind, E::PageCacheInsert { index: 0x205, replaced: Some(Item::Exceptional(r)), .. } if r == v)
        );

        // The tree: one order-9 slot, now the page, with A's DIRTY tag still on it.
        let page = match s.entry(0x200) {
            Some((0x200, 9, Item::Page(p), tags)) => {
                assert_ne!(tags & (1 << PAGECACHE_TAG_DIRTY), 0, "the tags are left as they were");
                p
            }
            other => panic!("the PMD range should be the hole page, is {other:?}"),
        };
        assert_eq!(s.entry(0x3ff), s.entry(0x200), "the sibling slots still lead to the canonical slot");
        assert_eq!((s.nrpages, s.nrexceptional), (1, 0));

        // A's huge mapping is another process's and stays; B maps the hole page read-only.
        assert!(matches!(s.pts[0].slot(BASE + 0x20_0000), Some(PmdSlot::HugeDevmap { .. })));
        let pte = s.pts[1].pte(BASE + 0x5000).expect("B maps the hole page");
        assert_eq!(pte.kind, PteKind::File { page });
        assert!(!pte.write);

        // So B reads zeros where the file holds A's store: the WARN, then data loss.
        assert!(kinds(&ex).iter().any(|k| matches!(k, E::Load { mm: 1, value: 0, .. })));
        let Outcome::Warned { warns, then } = &ex.outcome else { unreachable!() };
        assert_eq!(warns.len(), 1);
        assert!(
            matches!(**then, Outcome::DataLoss { offset: AT, expected: VALUE, found: 0, ref via, .. } if via == "the mapping in process 1"),
            "{then}"
        );
        assert_eq!(ex.outcome.class(), "warn(hole-page-over-wrong-entry) then data-loss");
    }
}

#[test]
fn an_fsync_that_meets_the_hole_page_warns_again_and_fails_with_eio() {
    // dax_writeback_one(): WARN_ON(!radix_tree_exceptional_entry(entry)), return -EIO; and
    // dax_writeback_mapping_range() returns that error from fsync(2).
    let sc = hole_over_pmd_then_fsync();
    assert_eq!(sc.on_warn, OnWarn::Continue);
    let two =
        |ex: &daxlab::scenario::Execution| matches!(&ex.outcome, Outcome::Warned { warns, .. } if warns.len() == 2);
    let (ex, _) = find(&sc, Kernel::FIXED, 2, two).expect("an fsync whose tag lookup finds the page");
    let Outcome::Warned { warns, .. } = &ex.outcome else { unreachable!() };
    assert!(warns.iter().any(|w| matches!(w, Invariant::Warn { what } if what.contains("tagged dirty"))));
    let tagged = pos(&ex, 0, |k| matches!(k, E::Bug { invariant: Invariant::Warn { .. } })).unwrap();
    let exit = pos(&ex, tagged, |k| matches!(k, E::SyscallExit { call: Syscall::Fsync, .. })).unwrap();
    assert!(matches!(ex.events[exit].kind, E::SyscallExit { ret: -5, .. }), "fsync returns -EIO");
}

#[test]
fn stop_ends_the_run_at_the_warn_and_runs_without_a_warn_are_the_same_either_way() {
    let go = hole_over_pmd();
    let stop = go.clone().with_on_warn(OnWarn::Stop).unwrap();
    for kernel in BOTH {
        let (s, c) = (explore_all(&stop, kernel, 2), explore_all(&go, kernel, 2));
        assert_eq!(failure_classes(&s), BTreeSet::from(["bug(hole-page-over-wrong-entry)".to_string()]));
        assert_eq!(
            failure_classes(&c),
            BTreeSet::from(["warn(hole-page-over-wrong-entry) then data-loss".to_string()])
        );
        assert_eq!(ok_rows(&s), ok_rows(&c), "runs that never WARN do not depend on on_warn");
    }
}

#[test]
fn after_the_4k_warn_the_writer_either_got_there_first_or_faults_for_ever() {
    // hole-read-then-write, same process: the hole page replaced T0's 4 KiB entry. If T0's
    // read-only PTE had already been made writable, its store stands (nothing here asks
    // for the entry again). If not, its write-protect fault reaches dax_pfn_mkwrite(),
    // whose lookup finds a page, not an entry: VM_FAULT_NOPAGE without making the PTE
    // writable, so the store faults again, and again.
    let sc = carrying_on(load("hole-read-then-write"));
    let then = |ex: &daxlab::scenario::Execution| match &ex.outcome {
        Outcome::Warned { then, .. } => Some((**then).clone()),
        _ => None,
    };
    let (ok, _) = find(&sc, Kernel::FIXED, 1, |ex| then(ex) == Some(Outcome::Ok)).expect("T0 writes first");
    assert_eq!(ok.outcome.class(), "warn(hole-page-over-wrong-entry) then ok");
    let stuck = |ex: &daxlab::scenario::Execution| matches!(then(ex), Some(Outcome::Livelock { .. }));
    let (ex, _) = find(&sc, Kernel::FIXED, 2, stuck).expect("T0's mkwrite comes after the WARN");
    assert_eq!(then(&ex), Some(Outcome::Livelock { tid: Some(daxlab::Tid(0)) }), "the writer, T0");
    let warn = pos(&ex, 0, |k| matches!(k, E::Bug { .. })).unwrap();
    let mkwrite_sees_page = |k: &E| matches!(k, E::Lookup { index: 5, found: Some(Item::Page(_)), .. });
    let seen = pos(&ex, warn, mkwrite_sees_page).expect("T0's mkwrite looks the index up and finds the page");
    assert_eq!(ex.events[seen].tid.0, 0);
}

#[test]
fn a_trace_records_the_setting_and_replays_the_run_after_the_warn() {
    let sc = hole_over_pmd();
    let (ex, _) = find(&sc, Kernel::FIXED, 1, |ex| is_warned(&ex.outcome)).unwrap();
    let trace = Trace::from_execution(&sc, Kernel::FIXED, RecordMode::Interactive, &ex);
    for bytes in [trace.encode_binary(), trace.encode_json()] {
        let back = Trace::decode(&bytes, "mem").expect("decodes");
        let embedded = back.scenario().unwrap();
        assert_eq!(embedded.on_warn, OnWarn::Continue, "the embedded scenario says so");
        let v = verify(&back, &embedded);
        assert!(v.matches(), "{:?}", v.mismatch);
        assert_eq!(v.trace.outcome, ex.outcome);
    }
    // The same schedule with the default: the events agree up to the WARN, which ends it.
    let stopped = embedded_with(&trace, OnWarn::Stop);
    let r = daxlab::trace::replay_trace(&trace, &stopped, Kernel::FIXED, None);
    let d = r.divergence.expect("stopping at the WARN leaves the rest of the recording");
    let warn = trace.events.iter().position(|e| matches!(e.kind, E::Bug { .. })).unwrap();
    assert!(d.index > warn, "the replay agrees up to the WARN: {d:?}");
    assert_eq!(r.execution.outcome.class(), "bug(hole-page-over-wrong-entry)");
}

fn embedded_with(t: &Trace, w: OnWarn) -> Scenario {
    t.scenario().unwrap().with_on_warn(w).unwrap()
}

#[test]
fn a_crafted_trace_cannot_nest_warned_outcomes() {
    let sc = hole_over_pmd();
    let (ex, _) = find(&sc, Kernel::FIXED, 1, |ex| is_warned(&ex.outcome)).unwrap();
    let mut t = Trace::from_execution(&sc, Kernel::FIXED, RecordMode::Interactive, &ex);
    let w = Invariant::Warn { what: "x".into() };
    t.outcome = Outcome::Warned { warns: vec![w.clone()], then: Box::new(t.outcome.clone()) };
    for bytes in [t.encode_binary(), t.encode_json()] {
        let err = Trace::decode(&bytes, "crafted").expect_err("nested warned outcomes are refused");
        assert!(err.to_string().contains("crafted"), "{err}");
    }
    t.outcome = Outcome::Warned { warns: Vec::new(), then: Box::new(Outcome::Ok) };
    let err = Trace::decode(&t.encode_json(), "empty").expect_err("a warned outcome needs a WARN");
    assert!(err.to_string().contains("lists no WARN"), "{err}");
}

#[test]
fn the_scenario_key_and_its_errors() {
    let go = hole_over_pmd();
    assert_eq!(go.on_warn, OnWarn::Continue);
    let stop = go.clone().with_on_warn(OnWarn::Stop).unwrap();
    assert_eq!(stop.on_warn, OnWarn::Stop, "stop is the default: the key is gone");
    assert!(!stop.source.lines().any(|l| l.starts_with("on_warn")));
    assert!(stop.expect.as_ref().is_some_and(|e| e.kernels.is_empty()), "[expect] is for the scenario as written");
    let bad = Scenario::from_toml(&go.source.replace(r#"on_warn = "continue""#, r#"on_warn = "maybe""#), "bad.toml");
    let err = bad.expect_err("an unknown value is an error").to_string();
    assert!(err.contains("bad.toml") && err.contains("maybe"), "{err}");
}

fn daxlab(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_daxlab")).args(args).output().expect("daxlab runs")
}

#[test]
fn the_command_line_flag_explores_replays_and_refuses_nonsense() {
    let o = daxlab(&[
        "explore",
        "hole-read-then-write",
        "--kernel",
        "v4.11",
        "--preemptions",
        "1",
        "--on-warn",
        "continue",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("warn(hole-page-over-wrong-entry) then ok"), "{out}");
    assert!(out.contains("on_warn = continue"), "the run setting is shown: {out}");

    let bad = daxlab(&["explore", "hole-read-then-write", "--on-warn", "maybe"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("stop or continue"));

    // A witness that stopped at the WARN, replayed past it.
    let dir = tempfile::Builder::new().prefix("daxlab-on-warn-").tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let o = daxlab(&["explore", "hole-page-over-pmd", "--kernel", "v4.11", "--on-warn", "stop", "--witness-out", d]);
    assert_eq!(o.status.code(), Some(1));
    let trace = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
    assert!(trace.to_string_lossy().contains("bug-hole-page-over-wrong-entry"), "{}", trace.display());
    let same = daxlab(&["replay", trace.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0), "the trace replays as it was recorded, stopping at the WARN");
    let on = daxlab(&["replay", trace.to_str().unwrap(), "--on-warn", "continue"]);
    let out = String::from_utf8_lossy(&on.stdout);
    assert_eq!(on.status.code(), Some(1), "{out}");
    assert!(out.contains("with on_warn = continue, the replay ends: WARNING in page_cache_tree_insert"), "{out}");
    assert!(out.contains("then data lost at file offset 0x205000"), "{out}");
}

#[test]
fn the_matrix_with_the_flag_drops_the_expectations_it_changes() {
    let o = daxlab(&["matrix", "hole-read-then-write", "--kernels", "v4.11", "--on-warn", "continue"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "no [expect] is checked against another setting: {out}");
    assert!(out.contains("warn(hole-page-over-wrong-entry) then ok"), "{out}");
}

#[test]
fn after_the_misaligned_pmd_warn_the_entry_stored_aside_stays_locked_and_the_next_fault_sleeps_for_ever() {
    // misaligned-pmd: the PMD read fault locked the entry at 0x200 but dax_insert_mapping_
    // entry() looks up vmf->pgoff 0x400, finds nothing and WARNs. __radix_tree_replace()
    // then stores the new (locked) huge-zero-page entry in the empty slot where the lookup
    // stopped: slot 16 of the shift-6 node, indices 0x400..0x43f. The unlock looks up the
    // fault's own pgoff and unlocks the entry at 0x200; nothing ever unlocks the other one,
    // so the next fault there sleeps for good: the hang "dax: fix deadlock due to
    // misaligned PMD faults" is about. Here a second process reads file page 0x400.
    let later = r#"
[[process]]
name = "later"
mmap = { shared = true }

[[process.thread]]
name = "T2"
ops = [{ op = "load", at = 0x400000 }]
"#;
    let sc = carrying_on(parse(&format!("{}{later}", load("misaligned-pmd").source)));
    let (ex, s) = run(&sc, Kernel::FIXED);
    let Outcome::Warned { warns, then } = &ex.outcome else { panic!("{}", ex.outcome) };
    assert!(matches!(warns[..], [Invariant::ReplaceMismatch { index: 0x400, found: None, .. }]), "{warns:?}");
    assert!(matches!(**then, Outcome::Hang { ref waiting } if waiting.len() == 1 && waiting[0].0.0 == 1), "{then}");
    let stored = pos(&ex, 0, |k| matches!(k, E::ReplaceEmptySlot { index: 0x400, .. })).expect("stored aside");
    assert_eq!(ex.events[stored].tid.0, 0);
    match (s.entry(0x200), s.entry(0x43f)) {
        (Some((0x200, 9, Item::Exceptional(a), _)), Some((0x400, 6, Item::Exceptional(b), _))) => {
            assert_eq!(a & RADIX_DAX_ENTRY_LOCK, 0, "the fault's own entry was unlocked");
            assert!(
                dax_is_pmd_entry(b) && b & RADIX_DAX_ENTRY_LOCK != 0,
                "{b:#x}: the entry stored aside is still locked"
            );
        }
        other => panic!("the tree should hold both entries: {other:?}"),
    }
    assert_eq!(s.entry(0x440), None, "the stored entry covers exactly its slot");
}
