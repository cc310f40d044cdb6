//! radix_tree_preload() failing with -ENOMEM (a scheduler choice): how every path unwinds.

mod common;

use common::*;
use daxlab::Outcome;
use daxlab::check::Note;
use daxlab::dax::FallbackReason;
use daxlab::mm::VmFault;
use daxlab::radix::Item;
use daxlab::scenario::Execution;
use daxlab::sim::ThreadEnd;
use daxlab::trace::EventKind as E;

fn inject(thp: &str, ops: &str) -> daxlab::Scenario {
    parse(&format!(
        r#"
name = "enomem"
description = "t"
thp = "{thp}"
inject_enomem = true
[file]
size = "4MiB"
[[process]]
name = "app"
mmap = {{ shared = true }}
[[process.thread]]
name = "T0"
ops = [{ops}]
"#
    ))
}

/// Index of the first failed preload of thread `t`.
fn failed_preload(ex: &Execution, t: u8) -> Option<usize> {
    ex.events.iter().position(|e| e.tid.0 == t && matches!(e.kind, E::Preload { ok: false, .. }))
}

#[test]
fn a_4k_fault_returns_vm_fault_oom() {
    let sc = inject("never", r#"{ op = "store", at = 0x1000, value = 1 }"#);
    for v in BOTH {
        let (ex, s) = find(&sc, v, 0, |ex| failed_preload(ex, 0).is_some()).unwrap();
        let fail = failed_preload(&ex, 0).unwrap();
        pos(&ex, fail, |k| matches!(k, E::GrabReturn { index: 1, result: Err(daxlab::kernel::Errno::Enomem), .. }))
            .unwrap();
        pos(&ex, fail, |k| matches!(k, E::FaultDone { result: VmFault::OOM, .. })).unwrap();
        pos(&ex, fail, |k| matches!(k, E::ThreadExit { end: ThreadEnd::Oom { .. } })).unwrap();
        assert!(matches!(ex.outcome, Outcome::Oom { .. }));
        assert!(s.entries.is_empty(), "nothing was inserted");
        assert!(has_note(&ex, Note::Enomem));
    }
}

#[test]
fn a_pmd_fault_falls_back_and_the_4k_fault_goes_on() {
    let sc = inject("always", r#"{ op = "store", at = 0x1000, value = 1 }"#);
    for v in BOTH {
        // The PMD grab's preload fails, the 4 KiB one succeeds.
        let (ex, s) = find(&sc, v, 0, |ex| {
            has_note(ex, Note::Fallback { reason: FallbackReason::GrabEnomem }) && ex.outcome == Outcome::Ok
        })
        .unwrap();
        let fb = pos(&ex, 0, |k| matches!(k, E::Fallback { reason: FallbackReason::GrabEnomem, .. })).unwrap();
        pos(&ex, fb, |k| matches!(k, E::FaultDone { result: VmFault::FALLBACK, .. })).unwrap();
        assert_eq!(s.entry(1).map(|e| (e.0, e.1)), Some((1, 0)), "a 4 KiB entry");
    }
}

#[test]
fn a_failed_downgrade_unlocks_the_pmd_entry_and_wakes_one_waiter() {
    let sc = load("preload-enomem");
    for v in BOTH {
        let (ex, _) = find(&sc, v, 1, |ex| {
            ex.events.iter().enumerate().any(|(i, e)| {
                matches!(e.kind, E::Preload { ok: false, .. })
                    && ex.events[..i]
                        .iter()
                        .rev()
                        .find(|p| p.tid == e.tid)
                        .is_some_and(|p| matches!(p.kind, E::LockRelease { .. }))
                    && ex.events[..i]
                        .iter()
                        .any(|p| p.tid == e.tid && matches!(p.kind, E::EntryLock { entry: 0x2e, .. }))
                    && ex.events[i..].iter().any(|w| {
                        w.tid == e.tid && matches!(&w.kind, E::Wake { all: false, woken, .. } if !woken.is_empty())
                    })
            })
        })
        .expect("a downgrade whose preload fails while another fault waits on the PMD entry");
        let fail = ex
            .events
            .iter()
            .position(|e| {
                matches!(e.kind, E::Preload { ok: false, .. })
                    && ex.events.iter().any(|p| p.tid == e.tid && matches!(p.kind, E::EntryLock { entry: 0x2e, .. }))
            })
            .unwrap();
        let t = ex.events[fail].tid;
        let unlock = ex.events[fail..]
            .iter()
            .position(|e| e.tid == t && matches!(e.kind, E::EntryUnlock { entry: 0x2a, .. }))
            .unwrap();
        let wake =
            ex.events[fail..].iter().position(|e| e.tid == t && matches!(e.kind, E::Wake { all: false, .. })).unwrap();
        assert!(unlock < wake);
        assert!(
            ex.events[fail..]
                .iter()
                .any(|e| e.tid == t && matches!(e.kind, E::ThreadExit { end: ThreadEnd::Oom { .. } }))
        );
    }
}

#[test]
fn a_failed_hole_fill_unlocks_the_hole_page_and_leaves_it_in_the_tree() {
    // T0 reads the hole (a hole page goes into the tree); then T1, on another CPU whose
    // preload pool is still empty, writes it: the hole fill's radix_tree_preload() is T1's
    // first, so it allocates and can fail. (On T0's CPU the pool is full by then and the
    // preload could not fail: see a_full_pool_makes_radix_tree_preload_infallible.)
    let sc = parse(
        r#"
name = "enomem"
description = "t"
thp = "never"
inject_enomem = true
[file]
size = "4MiB"
[[process]]
name = "app"
mmap = { shared = true }
[[process.thread]]
name = "T0"
ops = [{ op = "load", at = 0x1000 }]
[[process.thread]]
name = "T1"
ops = [{ op = "store", at = 0x1000, value = 1 }]
"#,
    );
    for v in BOTH {
        let (ex, s) = find(&sc, v, 0, |ex| {
            ex.events.iter().any(|e| e.tid.0 == 1 && matches!(e.kind, E::GrabReturn { result: Ok(Item::Page(_)), .. }))
                && failed_preload(ex, 1).is_some()
        })
        .unwrap();
        let grab = ex
            .events
            .iter()
            .position(|e| e.tid.0 == 1 && matches!(e.kind, E::GrabReturn { result: Ok(Item::Page(0)), .. }));
        let fail =
            pos(&ex, grab.unwrap(), |k| matches!(k, E::Preload { ok: false, .. })).expect("the hole fill's preload");
        pos(&ex, fail, |k| matches!(k, E::PageUnlock { page: 0 })).unwrap();
        pos(&ex, fail, |k| matches!(k, E::FaultDone { result, .. } if result.contains(VmFault::OOM))).unwrap();
        assert!(matches!(ex.outcome, Outcome::Oom { .. }));
        assert_eq!(s.entries, vec![(1, 0, Item::Page(0), 0)]);
        assert_eq!(s.nrpages, 1);
    }
}

#[test]
fn a_full_pool_makes_radix_tree_preload_infallible() {
    // One thread reads then writes a hole. Its first preload fills its CPU's pool; a later
    // one fails only if an insert under tree_lock drew nodes from the pool since.
    let sc = inject("never", r#"{ op = "load", at = 0x1000 }, { op = "store", at = 0x1000, value = 1 }"#);
    for v in BOTH {
        let mut dfs = daxlab::explore::DfsScheduler::new(0);
        let cfg = daxlab::scenario::RunConfig::new(v);
        let mut runs = 0;
        loop {
            let ex = daxlab::scenario::execute(&sc, &cfg, &mut dfs);
            runs += 1;
            let mut pool_short = true;
            for e in &ex.events {
                match &e.kind {
                    E::Preload { ok: false, .. } => assert!(pool_short, "-ENOMEM from a full pool"),
                    E::Preload { ok: true, .. } => pool_short = false,
                    E::Insert { from_pool, .. } if *from_pool > 0 => pool_short = true,
                    _ => {}
                }
            }
            if !dfs.next_execution() {
                break;
            }
        }
        assert!(runs > 1, "the injected failures are choices");
    }
    // A warm pool (the machine has run a while): no preload allocates, so none fails.
    let warm = inject("never", r#"{ op = "store", at = 0x1000, value = 1 }"#);
    let mut warm = warm;
    warm.preload_pool = daxlab::scenario::PreloadPool::Warm;
    for v in BOTH {
        assert_eq!(classes(&explore_all(&warm, v, 1)), Default::default(), "{}", v.label());
    }
}

#[test]
fn a_failed_hole_page_insertion_returns_oom() {
    let sc = inject("never", r#"{ op = "load", at = 0x1000 }"#);
    for v in BOTH {
        // The grab's preload succeeds, find_or_create_page()'s fails.
        let (ex, s) = find(&sc, v, 0, |ex| {
            count(ex, |k| matches!(k, E::Preload { ok: true, .. })) == 1 && failed_preload(ex, 0).is_some()
        })
        .unwrap();
        assert!(matches!(ex.outcome, Outcome::Oom { .. }));
        // The empty entry is unlocked again by put_locked_mapping_entry().
        assert_eq!(s.entries, vec![(1, 0, Item::Exceptional(0x22), 0)]);
    }
}

#[test]
fn preload_enomem_built_in_finds_oom_only() {
    // (core.rs checks the full [expect] at bound 2; one preemption shows the same class.)
    let sc = load("preload-enomem");
    for v in BOTH {
        assert_eq!(classes(&explore_all(&sc, v, 1)), ["oom".to_string()].into());
    }
}

#[test]
fn the_cli_injects_enomem_into_any_scenario() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_daxlab"))
        .args(["explore", "seed-race", "--kernel", "fixed", "--inject", "enomem", "--json"])
        .output()
        .expect("daxlab runs");
    assert_eq!(out.status.code(), Some(1), "failures found");
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let classes: Vec<&str> =
        reports[0]["rows"].as_array().unwrap().iter().filter_map(|r| r["class"].as_str()).collect();
    assert!(classes.contains(&"oom"));
    // A PMD fault falling back for -ENOMEM opens the 4.12 PMD/PTE collision (docs/races.md row 9) even
    // with the insertion fix.
    assert!(classes.contains(&"bug(pte-under-huge-pmd)"));
    let plain = std::process::Command::new(env!("CARGO_BIN_EXE_daxlab"))
        .args(["explore", "seed-race", "--kernel", "fixed", "--json"])
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), Some(0));
}
