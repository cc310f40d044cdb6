//! The engine core: entry encodings, the wait table, the executor's hang detection,
//! determinism and fallback reasons (the outcome tables of the built-ins: tests/matrix.rs).

use daxlab::check::Outcome;
use daxlab::dax::{
    FallbackReason, RADIX_DAX_EMPTY, RADIX_DAX_HZP, RADIX_DAX_PMD, dax_radix_locked_entry, decode_entry,
};
use daxlab::explore::{ExploreConfig, explore, replay};
use daxlab::kernel::{WaitKey, WaitOn, WaitTable, Waiter, hash_long};
use daxlab::scenario::builtin;
use daxlab::scenario::{RunConfig, execute};
use daxlab::sim::{
    ChoicePick, Cx, DefaultScheduler, RandomScheduler, Scheduler, SimRuntime, ThreadEnd, ThreadPick, ThreadSpawn,
};
use daxlab::{Kernel, Note, Scenario, Tid};
use std::collections::BTreeSet;

fn scenario(toml: &str) -> Scenario {
    Scenario::from_toml(toml, "test").unwrap_or_else(|e| panic!("{e}"))
}

fn run_default(sc: &Scenario, kernel: Kernel) -> daxlab::scenario::Execution {
    execute(sc, &RunConfig::new(kernel), &mut DefaultScheduler)
}

// --- entry encoding -------------------------------------------------------------------

#[test]
fn entry_values_match_the_v4_11_encoding() {
    assert_eq!(dax_radix_locked_entry(0, RADIX_DAX_EMPTY), 0x26);
    assert_eq!(dax_radix_locked_entry(0, RADIX_DAX_PMD | RADIX_DAX_EMPTY), 0x2e);
    assert_eq!(dax_radix_locked_entry(0, RADIX_DAX_PMD | RADIX_DAX_HZP), 0x1e);
    assert_eq!(dax_radix_locked_entry(0x1000, RADIX_DAX_PMD), 0x4000e);
    assert_eq!(dax_radix_locked_entry(0x1000, RADIX_DAX_PMD) & !0x4, 0x4000a, "unlocked real PMD");
    assert_eq!(dax_radix_locked_entry(0x28, 0), (0x28 << 6) | 0x6);
    assert_eq!(decode_entry(0x2e), "locked empty PMD");
    assert_eq!(decode_entry(0x26), "locked empty 4k");
    assert_eq!(decode_entry(0x1e), "locked huge zero page PMD");
    assert_eq!(decode_entry(0x4000a), "PMD sector 0x1000");
}

// --- wait table -------------------------------------------------------------------------

#[test]
fn hash_long_is_the_kernel_multiplicative_hash() {
    // 0x61C8864680B583EB * 1, top 12 bits.
    assert_eq!(hash_long(1, 12), 0x61c);
    assert_eq!(hash_long(0, 12), 0);
}

/// Two keys of one mapping that share a wait-table bucket.
fn colliding_keys() -> (WaitKey, WaitKey) {
    let a = WaitKey { mapping: 0xffff_8800_7a3c_2e10, index: 0x200 };
    let b = (0..1 << 20)
        .map(|i| WaitKey { mapping: a.mapping, index: i })
        .find(|k| k.index != a.index && k.bucket() == a.bucket())
        .expect("4096 buckets: a collision exists");
    (a, b)
}

#[test]
fn wake_one_wakes_only_the_first_matching_exclusive_waiter() {
    let (a, _) = colliding_keys();
    let wt = WaitTable::default();
    for t in 0..3 {
        wt.prepare_exclusive(Waiter { tid: Tid(t), key: a, exclusive: true });
    }
    let woken = wt.wake_up(a, 1);
    assert_eq!(woken.iter().collect::<Vec<_>>(), vec![Tid(0)]);
    assert!(wt.active(a.bucket()), "the others still wait");
    let woken = wt.wake_up(a, 0);
    assert_eq!(woken.iter().collect::<Vec<_>>(), vec![Tid(1), Tid(2)], "wake-all takes the rest");
    assert!(!wt.active(a.bucket()));
}

#[test]
fn wake_filters_by_exact_key_and_skipped_waiters_do_not_count() {
    let (a, b) = colliding_keys();
    let wt = WaitTable::default();
    wt.prepare_exclusive(Waiter { tid: Tid(0), key: b, exclusive: true });
    wt.prepare_exclusive(Waiter { tid: Tid(1), key: a, exclusive: true });
    wt.prepare_exclusive(Waiter { tid: Tid(2), key: b, exclusive: true });
    let woken = wt.wake_up(a, 1);
    assert_eq!(woken.iter().collect::<Vec<_>>(), vec![Tid(1)], "the b waiter ahead is skipped, a is still woken");
    let woken = wt.wake_up(b, 0);
    assert_eq!(woken.iter().collect::<Vec<_>>(), vec![Tid(0), Tid(2)]);
}

#[test]
fn finish_wait_dequeues_a_waiter_that_was_not_woken() {
    let (a, _) = colliding_keys();
    let wt = WaitTable::default();
    wt.prepare_exclusive(Waiter { tid: Tid(0), key: a, exclusive: true });
    wt.prepare_exclusive(Waiter { tid: Tid(0), key: a, exclusive: true });
    wt.finish(Tid(0), a);
    assert!(wt.wake_up(a, 0).is_empty());
}

// --- executor -----------------------------------------------------------------------------

#[test]
fn a_waiter_nobody_wakes_is_a_hang_naming_what_it_waits_on() {
    let sc = builtin("seed-race").unwrap().unwrap();
    let k = sc.build(Kernel::UNFIXED);
    let mut sched = DefaultScheduler;
    let rt = SimRuntime::new(&mut sched, true);
    // The PMD-aligned key a waker on the PMD entry uses, and the 4 KiB key a waiter that
    // saw a 4 KiB entry would sleep on: different keys, so the wake-up misses.
    let pte_key = WaitKey { mapping: k.mapping.addr, index: 0x205 };
    let (kr, rtr) = (&k, &rt);
    let sleeper = ThreadSpawn {
        phase: 0,
        future: Box::pin(async move {
            let cx = Cx::new(kr, Tid(0), rtr);
            cx.prepare_to_wait_exclusive(pte_key);
            cx.schedule(WaitOn::Entry { key: pte_key, bucket: pte_key.bucket() }).await;
            ThreadEnd::Exited
        }),
    };
    let waker = ThreadSpawn {
        phase: 0,
        future: Box::pin(async move {
            let cx = Cx::new(kr, Tid(1), rtr);
            daxlab::dax::dax_wake_mapping_entry_waiter(&cx, &kr.mapping, 0x205, 0x4000e, false).await;
            ThreadEnd::Exited
        }),
    };
    let res = rt.run(vec![sleeper, waker], 1000);
    assert_eq!(res.ends[1], Some(ThreadEnd::Exited));
    assert_eq!(res.ends[0], None);
    assert_eq!(res.hung.len(), 1);
    let (tid, on) = res.hung[0];
    assert_eq!(tid, Tid(0));
    assert_eq!(on, WaitOn::Entry { key: pte_key, bucket: pte_key.bucket() });
    assert!(on.to_string().contains("index 0x205"), "{on}");
}

#[test]
fn the_same_schedule_gives_identical_events() {
    let sc = builtin("holetest-mini").unwrap().unwrap();
    let first = execute(&sc, &RunConfig::new(Kernel::UNFIXED), &mut RandomScheduler::new(42));
    assert!(first.events.len() > 20);
    for _ in 0..2 {
        let (again, divergence) = replay(&sc, Kernel::UNFIXED, &first.schedule);
        assert_eq!(divergence, None);
        assert_eq!(again.events, first.events);
        assert_eq!(again.outcome, first.outcome);
    }
}

#[test]
fn a_schedule_that_does_not_fit_is_reported_as_divergence() {
    let sc = builtin("seed-race").unwrap().unwrap();
    let ex = execute(&sc, &RunConfig::new(Kernel::UNFIXED), &mut RandomScheduler::new(7));
    let mut schedule = ex.schedule.clone();
    schedule.0.truncate(1);
    let (_, divergence) = replay(&sc, Kernel::UNFIXED, &schedule);
    assert!(divergence.is_some_and(|d| d.contains("recording ended")));
}

// --- the seed race ------------------------------------------------------------------------

fn exhaustive(sc: &Scenario, kernel: Kernel, preemptions: u32) -> daxlab::explore::ExploreReport {
    let cfg = ExploreConfig::exhaustive(kernel, preemptions);
    explore(sc, &cfg, &mut |_| {})
}

#[test]
fn seed_race_unfixed_needs_exactly_two_preemptions() {
    let sc = builtin("seed-race").unwrap().unwrap();
    assert!(exhaustive(&sc, Kernel::UNFIXED, 1).failure_classes().is_empty());
    let r = exhaustive(&sc, Kernel::UNFIXED, 2);
    let bug = r.rows.iter().find(|row| row.class == "bug(pte-under-huge-pmd)").expect("the seed bug");
    assert_eq!(bug.witness.preemptions, 2);
    assert!(r.complete);
    assert_eq!(r.executions, r.rows.iter().map(|row| row.executions).sum::<u64>());
    for row in &r.rows {
        assert_eq!(row.executions, row.by_preemptions.iter().sum::<u64>());
    }
}

#[test]
fn seed_race_minimal_witness_is_the_commit_message_interleaving() {
    let sc = builtin("seed-race").unwrap().unwrap();
    let r = exhaustive(&sc, Kernel::UNFIXED, 2);
    let bug = r.failures().next().unwrap();
    let (ex, divergence) = replay(&sc, Kernel::UNFIXED, &bug.witness.schedule);
    assert_eq!(divergence, None);
    use daxlab::trace::EventKind as E;
    let t1 = Tid(0);
    let t2 = Tid(1);
    let pos = |f: &dyn Fn(&daxlab::trace::Event) -> bool| ex.events.iter().position(f).expect("event present");
    let t1_window = pos(&|e| e.tid == t1 && matches!(e.kind, E::Preload { ok: true, .. }));
    let t2_insert = pos(&|e| e.tid == t2 && matches!(e.kind, E::Insert { index: 0x200, order: 9, err: None, .. }));
    let t1_eexist = pos(&|e| {
        e.tid == t1 && matches!(e.kind, E::Insert { index: 0x200, err: Some(daxlab::kernel::Errno::Eexist), .. })
    });
    let t1_fallback = pos(&|e| e.tid == t1 && matches!(e.kind, E::Fallback { reason: FallbackReason::GrabEexist, .. }));
    let t2_pmd = pos(&|e| e.tid == t2 && matches!(e.kind, E::PmdInstall { .. }));
    let bug_at = pos(&|e| e.tid == t1 && matches!(e.kind, E::Bug { .. }));
    assert!(t1_window < t2_insert && t2_insert < t1_eexist && t1_eexist < t1_fallback);
    assert!(t2_pmd < bug_at, "T1's PTE meets T2's huge PMD");
    // T1's fallback passed the pmd_none check before T2 installed its PMD.
    let t1_pte_path =
        pos(&|e| e.tid == t1 && matches!(e.kind, E::PmdCheck { .. }) && e.step > ex.events[t1_fallback].step);
    assert!(t1_pte_path < t2_pmd);
}

#[test]
fn seed_race_benign_unfixed_outcomes_are_their_own_classes() {
    let sc = builtin("seed-race").unwrap().unwrap();
    let r = exhaustive(&sc, Kernel::UNFIXED, 2);
    let labels: BTreeSet<&str> = r.rows.iter().map(|row| row.label.as_str()).collect();
    assert!(labels.contains("ok [fallback(grab-eexist), split-cleared-pmd]"), "{labels:?}");
    let split = r.rows.iter().find(|row| row.label.contains("split-cleared-pmd")).unwrap();
    assert_eq!(split.witness.preemptions, 1, "T2 finishing first needs only the preload-window preemption");
}

#[test]
fn seed_race_fixed_restarts_and_never_fails() {
    let sc = builtin("seed-race").unwrap().unwrap();
    let r = exhaustive(&sc, Kernel::FIXED, 3);
    assert!(r.failure_classes().is_empty());
    assert!(r.rows.iter().any(|row| row.notes.iter().any(|n| n == "restart(relookup)")));
    assert!(r.rows.iter().all(|row| !row.notes.iter().any(|n| n.starts_with("fallback"))), "no fallback after the fix");
}

#[test]
fn random_exploration_finds_the_seed_bug_reproducibly() {
    let sc = builtin("seed-race").unwrap().unwrap();
    let cfg = ExploreConfig::random(Kernel::UNFIXED, 3000, 1);
    let a = explore(&sc, &cfg, &mut |_| {});
    let b = explore(&sc, &cfg, &mut |_| {});
    assert!(a.failure_classes().contains("bug(pte-under-huge-pmd)"));
    let counts =
        |r: &daxlab::explore::ExploreReport| r.rows.iter().map(|x| (x.label.clone(), x.executions)).collect::<Vec<_>>();
    assert_eq!(counts(&a), counts(&b));
}

// --- fallback reasons ---------------------------------------------------------------------

fn fallback_notes(sc: &Scenario) -> BTreeSet<FallbackReason> {
    run_default(sc, Kernel::UNFIXED)
        .notes
        .iter()
        .filter_map(|n| match n {
            Note::Fallback { reason } => Some(*reason),
            _ => None,
        })
        .collect()
}

const ONE_STORE: &str = r#"
name = "t"
description = "t"
[file]
size = "4MiB"
[[process]]
name = "p"
mmap = { shared = true }
[[process.thread]]
name = "T"
ops = [{ op = "store", at = 0x200400, value = 7 }]
"#;

#[test]
fn fallback_on_a_private_write() {
    let sc = scenario(&ONE_STORE.replace("shared = true", "shared = false"));
    assert_eq!(fallback_notes(&sc), BTreeSet::from([FallbackReason::CowWrite]));
    assert_eq!(run_default(&sc, Kernel::UNFIXED).outcome, Outcome::Ok);
}

#[test]
fn fallback_when_the_pmd_would_start_before_the_vma() {
    let sc = scenario(
        &ONE_STORE
            .replace("shared = true", "shared = true, address = 0x7f0000001000")
            .replace("at = 0x200400", "at = 0x400"),
    );
    assert_eq!(fallback_notes(&sc), BTreeSet::from([FallbackReason::VmaStart]));
}

#[test]
fn fallback_when_the_pmd_would_end_after_the_vma() {
    let sc = scenario(&ONE_STORE.replace("shared = true", "shared = true, length = \"3MiB\""));
    assert_eq!(fallback_notes(&sc), BTreeSet::from([FallbackReason::VmaEnd]));
}

#[test]
fn fallback_when_the_pmd_would_extend_past_eof_and_sigbus_beyond_it() {
    let sc = scenario(
        &ONE_STORE
            .replace("size = \"4MiB\"", "size = \"3MiB\"")
            .replace("shared = true", "shared = true, length = \"4MiB\""),
    );
    assert_eq!(fallback_notes(&sc), BTreeSet::from([FallbackReason::BeyondEof]));
    let past_eof = scenario(
        &ONE_STORE
            .replace("size = \"4MiB\"", "size = \"3MiB\"")
            .replace("shared = true", "shared = true, length = \"4MiB\"")
            .replace("at = 0x200400", "at = 0x300400"),
    );
    assert!(matches!(run_default(&past_eof, Kernel::UNFIXED).outcome, Outcome::Sigbus { .. }));
}

#[test]
fn fallback_when_the_extent_is_shorter_than_2mib() {
    let sc = scenario(
        &ONE_STORE
            .replace(
                "[[process]]",
                "[[file.extent]]\noffset = \"2MiB\"\nlength = \"1MiB\"\nstate = \"written\"\n[[process]]",
            )
            .replace(r#"{ op = "store", at = 0x200400, value = 7 }"#, r#"{ op = "load", at = 0x200400 }"#),
    );
    assert_eq!(fallback_notes(&sc), BTreeSet::from([FallbackReason::ShortExtent]));
}

#[test]
fn fallback_when_a_4k_entry_is_in_the_range() {
    let sc = scenario(
        r#"
name = "t"
description = "t"
[file]
size = "4MiB"
[[file.extent]]
offset = "2MiB"
length = "2MiB"
state = "unwritten"
[[process]]
name = "small"
mmap = { offset = 0x205000, length = 0x1000 }
[[process.thread]]
name = "A"
ops = [{ op = "store", at = 0x205000, value = 1 }]
[[process]]
name = "big"
mmap = {}
[[process.thread]]
name = "B"
ops = [{ op = "store", at = 0x200000, value = 2 }]
"#,
    );
    let notes = fallback_notes(&sc);
    // The small mapping can only fault 4 KiB (vma-end); the big one's PMD insert then
    // meets that 4 KiB entry.
    assert_eq!(notes, BTreeSet::from([FallbackReason::VmaEnd, FallbackReason::GrabEexist]));
    assert_eq!(run_default(&sc, Kernel::FIXED).outcome, Outcome::Ok);
}

/// Answers every injected choice with "fail".
struct FailEveryAllocation;
impl Scheduler for FailEveryAllocation {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        pick.current.unwrap_or(pick.runnable[0])
    }
    fn pick_choice(&mut self, _: &ChoicePick) -> u32 {
        1
    }
}

#[test]
fn fallback_when_preload_fails_and_oom_for_the_4k_fault() {
    let sc = scenario(&ONE_STORE.replace("[file]", "inject_enomem = true\n[file]"));
    let ex = execute(&sc, &RunConfig::new(Kernel::UNFIXED), &mut FailEveryAllocation);
    assert!(ex.notes.contains(&Note::Fallback { reason: FallbackReason::GrabEnomem }));
    assert!(matches!(ex.outcome, Outcome::Oom { .. }), "{}", ex.outcome);
}

#[test]
fn fallback_when_the_pfn_is_not_2mib_aligned() {
    let sc = scenario(&ONE_STORE.replace("[file]\n", "[file]\nallocator = \"unaligned\"\n"));
    assert_eq!(fallback_notes(&sc), BTreeSet::from([FallbackReason::PfnUnaligned]));
}

#[test]
fn fallback_when_the_huge_zero_page_slot_is_taken() {
    let sc = scenario(&ONE_STORE.replace(
        r#"{ op = "store", at = 0x200400, value = 7 }"#,
        r#"{ op = "load", at = 0x200400 }, { op = "fault", page = 0x200, size = "pmd" }"#,
    ));
    assert_eq!(fallback_notes(&sc), BTreeSet::from([FallbackReason::LoadHolePmdNotNone]));
}

/// Fails every atomic node allocation, never the preload itself.
struct AtomicAllocFails;
impl Scheduler for AtomicAllocFails {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        pick.current.unwrap_or(pick.runnable[0])
    }
    fn pick_choice(&mut self, pick: &ChoicePick) -> u32 {
        u32::from(pick.choice == daxlab::sim::Choice::AtomicNodeAllocFails)
    }
}

#[test]
fn radix_nodes_come_from_the_preload_pool_when_the_atomic_allocation_fails() {
    let sc = scenario(&ONE_STORE.replace("[file]", "inject_enomem = true\n[file]"));
    let ex = execute(&sc, &RunConfig::new(Kernel::UNFIXED), &mut AtomicAllocFails);
    assert_eq!(ex.outcome, Outcome::Ok, "the preload guarantees the insert");
    let from_pool: u32 = ex
        .events
        .iter()
        .filter_map(|e| match e.kind {
            daxlab::trace::EventKind::Insert { from_pool, err: None, .. } => Some(from_pool),
            _ => None,
        })
        .sum();
    assert!(from_pool > 0, "the PMD entry's nodes came from the pool");
    let (_, pool) = daxlab::scenario::execute_with(&sc, &RunConfig::new(Kernel::UNFIXED), &mut AtomicAllocFails, |k| {
        k.tasks.get(Tid(0)).preload_nr
    });
    assert_eq!(pool, daxlab::radix::RADIX_TREE_PRELOAD_SIZE - from_pool);
    // With the atomic allocation working, the pool is never touched.
    let ex = execute(&sc, &RunConfig::new(Kernel::UNFIXED), &mut DefaultScheduler);
    assert!(ex.events.iter().all(|e| !matches!(e.kind, daxlab::trace::EventKind::Insert { from_pool: 1.., .. })));
}
