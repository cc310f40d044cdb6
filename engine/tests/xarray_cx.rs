//! The XArray's context operations: scheduling points, the xa_lock(i_pages) spin lock, the
//! injectable allocation failures and xas_nomem()'s retry, the locking rules they check,
//! and that their events are enough to rebuild the array. Small kernel-shaped programs run
//! on the deterministic executor, under every schedule within a preemption bound.

use daxlab::check::Invariant;
use daxlab::explore::DfsScheduler;
use daxlab::kernel::{Errno, LockId, Machine};
use daxlab::scenario::builtin;
use daxlab::sim::{Cx, Scheduler, SimResult, SimRuntime, ThreadEnd, ThreadSpawn, Tid};
use daxlab::trace::{Event, EventKind};
use daxlab::xarray::{PAGECACHE_TAG_DIRTY, XArray, XaFixes, XaRoot, XaState, xa_mk_value};
use daxlab::{Kernel, sim::Choice};
use std::future::Future;
use std::pin::Pin;

type Prog = for<'c> fn(&'c Cx<'c>, &'c XaRoot) -> Pin<Box<dyn Future<Output = ()> + 'c>>;

/// One execution: what the executor saw, the invariant that fired (if any), the array.
struct Run {
    res: SimResult,
    violation: Option<Invariant>,
    xa: XArray,
}

fn kernel(inject: bool) -> Machine {
    let sc = builtin("seed-race").expect("a built-in").expect("it parses");
    let mut k = sc.build(Kernel::FIXED);
    k.inject_enomem = inject;
    k
}

fn run_once(inject: bool, setup: fn(&mut XArray), progs: &[Prog], sched: &mut dyn Scheduler) -> Run {
    let k = kernel(inject);
    let root = XaRoot::new(XaFixes::ALL);
    root.xa.with(setup);
    let rt = SimRuntime::new(sched, true);
    let spawns = progs
        .iter()
        .enumerate()
        .map(|(i, prog)| {
            let (k, rt, root, prog) = (&k, &rt, &root, *prog);
            ThreadSpawn {
                phase: 0,
                future: Box::pin(async move {
                    let cx = Cx::new(k, Tid(i as u8), rt);
                    prog(&cx, root).await;
                    ThreadEnd::Exited
                }),
            }
        })
        .collect();
    let res = rt.run(spawns, 100_000);
    Run { res, violation: k.obs.with(|o| o.violation.clone()), xa: root.xa.snapshot() }
}

/// Every execution within `bound` preemptions (and every injected-failure answer).
fn explore(inject: bool, bound: u32, setup: fn(&mut XArray), progs: &[Prog]) -> Vec<Run> {
    let mut dfs = DfsScheduler::new(bound);
    let mut runs = Vec::new();
    loop {
        runs.push(run_once(inject, setup, progs, &mut dfs));
        if !dfs.next_execution() {
            return runs;
        }
    }
}

fn empty(_: &mut XArray) {}

/// The shape of grab_mapping_entry() for a PMD entry: under the lock, look for anything in
/// the 2 MiB range and store a (locked, DIRTY) entry if it is free; drop the lock; let
/// xas_nomem() decide whether to go round again.
fn grab_pmd<'c>(cx: &'c Cx<'c>, root: &'c XaRoot) -> Pin<Box<dyn Future<Output = ()> + 'c>> {
    Box::pin(async move {
        let mut xas = XaState::new_order(0x200, 9);
        loop {
            cx.xa_lock_irq(root).await;
            if cx.xas_find_conflict(root, &mut xas).await.is_none() {
                cx.xas_store(root, &mut xas, Some(xa_mk_value(0xb + u64::from(cx.tid.0)))).await;
                if xas.error().is_none() {
                    cx.xas_set_mark(root, &xas, PAGECACHE_TAG_DIRTY).await;
                }
            }
            cx.xa_unlock_irq(root).await;
            if !cx.xas_nomem(&mut xas).await {
                return;
            }
        }
    })
}

/// The same for a PTE entry at 0x205: a store that needs two nodes on an empty array.
fn grab_pte<'c>(cx: &'c Cx<'c>, root: &'c XaRoot) -> Pin<Box<dyn Future<Output = ()> + 'c>> {
    Box::pin(async move {
        let mut xas = XaState::new(0x205);
        loop {
            cx.xa_lock_irq(root).await;
            if cx.xas_find_conflict(root, &mut xas).await.is_none() {
                cx.xas_store(root, &mut xas, Some(xa_mk_value(0x10 + u64::from(cx.tid.0)))).await;
            }
            cx.xa_unlock_irq(root).await;
            if !cx.xas_nomem(&mut xas).await {
                return;
            }
        }
    })
}

fn kinds(run: &Run) -> impl Iterator<Item = &EventKind> {
    run.res.events.iter().map(|e| &e.kind)
}

/// The array rebuilt from the events that change it, applied again in order.
fn rebuild(events: &[Event]) -> XArray {
    let mut xa = XArray::new();
    for e in events {
        match &e.kind {
            EventKind::XasStore { xas, entry, nodes, err, .. } => {
                let (mut xas, mut left) = (xas.clone(), *nodes);
                let mut nowait = || left.checked_sub(1).map(|n| left = n).is_some();
                xas.store_with(&mut xa, *entry, &mut nowait);
                assert_eq!(xas.error(), *err, "step {}: the store replays the same way", e.step);
            }
            EventKind::XasCreateRange { xas, nodes, .. } => {
                let (mut xas, mut left) = (xas.clone(), *nodes);
                xas.create_range_with(&mut xa, &mut || left.checked_sub(1).map(|n| left = n).is_some());
            }
            EventKind::XasSetMark { xas, mark } => xas.set_mark(&mut xa, *mark),
            EventKind::XasClearMark { xas, mark } => xas.clear_mark(&mut xa, *mark),
            _ => {}
        }
    }
    xa
}

#[test]
fn each_operation_is_an_event_under_the_i_pages_lock() {
    let run = run_once(false, empty, &[grab_pmd], &mut daxlab::sim::DefaultScheduler);
    let names: Vec<&str> = kinds(&run).map(EventKind::name).collect();
    assert_eq!(
        names,
        ["lock_acquire", "xas_find_conflict", "xas_store", "xas_set_mark", "lock_release", "thread_exit"]
    );
    assert!(kinds(&run).all(|k| !matches!(k, EventKind::LockAcquire { lock } if *lock != LockId::IPages)));
    assert_eq!(LockId::IPages.to_string(), "xa_lock(i_pages)");
    assert_eq!(run.xa.entries().len(), 1);
    // Five operations, each preceded by a scheduling point; xas_nomem() with nothing to
    // allocate is not one.
    assert_eq!(run.res.steps, 5);
}

#[test]
fn two_racing_pmd_grabs_store_one_entry_in_every_interleaving() {
    let runs = explore(false, 3, empty, &[grab_pmd, grab_pmd]);
    // Either thread can win: the entry holds its value.
    for winner in [0xb, 0xc] {
        assert!(runs.iter().any(|r| r.xa.xa_load(0x300) == Some(xa_mk_value(winner))), "{winner:#x}");
    }
    let spun = runs.iter().filter(|r| kinds(r).any(|k| matches!(k, EventKind::LockContended { .. }))).count();
    assert!(spun > 0, "some interleaving finds the lock held");
    for run in &runs {
        assert_eq!(run.violation, None);
        run.xa.verify().unwrap();
        let entries = run.xa.entries();
        assert_eq!(entries.len(), 1);
        assert_eq!((entries[0].index, entries[0].order), (0x200, 9));
        let stores = kinds(run).filter(|k| matches!(k, EventKind::XasStore { .. })).count();
        assert_eq!(stores, 1, "the loser finds the winner's entry as a conflict");
        assert!(kinds(run).all(|k| !matches!(k, EventKind::XasNomem { .. })), "nothing injected");
    }
}

#[test]
fn injected_allocation_failures_go_through_xas_nomem_and_end_stored_or_out_of_memory() {
    let runs = explore(true, 0, empty, &[grab_pte]);
    let (mut stored, mut retried, mut oom) = (0, 0, 0);
    for run in &runs {
        assert_eq!(run.violation, None);
        run.xa.verify().unwrap();
        let nomems: Vec<bool> =
            kinds(run).filter_map(|k| if let EventKind::XasNomem { ok, .. } = k { Some(*ok) } else { None }).collect();
        let failed_stores =
            kinds(run).filter(|k| matches!(k, EventKind::XasStore { err: Some(Errno::Enomem), .. })).count();
        // Every -ENOMEM left by a store is answered by exactly one xas_nomem() allocation.
        assert_eq!(nomems.len(), failed_stores);
        match (nomems.last(), run.xa.xa_load(0x205)) {
            (Some(false), None) => oom += 1,
            (Some(true), Some(_)) => retried += 1,
            (None, Some(_)) => stored += 1,
            other => panic!("neither stored nor out of memory: {other:?}"),
        }
    }
    // The allocations were really offered: a clean store, retries that succeed, and the
    // xas_nomem() failure (VM_FAULT_OOM in grab_mapping_entry()) all happen.
    assert_eq!(stored, 1, "no failure injected");
    assert!(retried >= 2 && oom >= 2, "retried {retried}, oom {oom}");
    // Two nodes are needed: each under-lock allocation may fail, xas_nomem()'s node covers
    // one per round.
    assert!(runs.iter().any(|r| kinds(r).filter(|k| matches!(k, EventKind::XasNomem { ok: true, .. })).count() == 2));
}

#[test]
fn the_failure_choices_are_the_xarray_ones() {
    let mut seen = std::collections::BTreeSet::new();
    struct Record<'a>(&'a mut std::collections::BTreeSet<String>);
    impl Scheduler for Record<'_> {
        fn pick_thread(&mut self, pick: &daxlab::sim::ThreadPick<'_>) -> Tid {
            pick.current.unwrap_or(pick.runnable[0])
        }
        fn pick_choice(&mut self, pick: &daxlab::sim::ChoicePick) -> u32 {
            self.0.insert(format!("{:?}", pick.choice));
            u32::from(pick.choice == Choice::XaNodeAllocFails)
        }
    }
    let run = run_once(true, empty, &[grab_pte], &mut Record(&mut seen));
    // Failing every under-lock allocation: each round xas_nomem() adds the one node a
    // store then uses, so the second round stores.
    assert_eq!(run.xa.xa_load(0x205), Some(xa_mk_value(0x10)));
    let offered: Vec<&str> = seen.iter().map(String::as_str).collect();
    assert_eq!(offered, ["XaNodeAllocFails", "XasNomemFails"]);
}

fn store_unlocked<'c>(cx: &'c Cx<'c>, root: &'c XaRoot) -> Pin<Box<dyn Future<Output = ()> + 'c>> {
    Box::pin(async move {
        cx.xas_store(root, &mut XaState::new(3), Some(xa_mk_value(1))).await;
    })
}

#[test]
fn a_store_without_xa_lock_is_a_bug() {
    let run = run_once(false, empty, &[store_unlocked], &mut daxlab::sim::DefaultScheduler);
    let Some(Invariant::LockMisuse { what }) = run.violation else { panic!("{:?}", run.violation) };
    assert_eq!(what, "xas_store() without xa_lock(i_pages) held");
    assert!(run.xa.xa_empty(), "the store did not happen");
}

fn nomem_locked<'c>(cx: &'c Cx<'c>, root: &'c XaRoot) -> Pin<Box<dyn Future<Output = ()> + 'c>> {
    Box::pin(async move {
        let mut xas = XaState::new(3);
        xas.set_err(Errno::Enomem);
        cx.xa_lock_irq(root).await;
        cx.xas_nomem(&mut xas).await;
        cx.xa_unlock_irq(root).await;
    })
}

#[test]
fn xas_nomem_under_the_lock_sleeps_in_atomic_context() {
    let run = run_once(false, empty, &[nomem_locked], &mut daxlab::sim::DefaultScheduler);
    assert_eq!(run.violation, Some(Invariant::SleepInAtomic { preempt_count: 1 }));
}

fn two_entries(xa: &mut XArray) {
    XaState::new(0).store(xa, Some(xa_mk_value(1)));
    XaState::new(1).store(xa, Some(xa_mk_value(2)));
}

/// Walks to index 0, drops the lock, and reuses the walk after retaking it.
fn reuse_walk<'c>(cx: &'c Cx<'c>, root: &'c XaRoot) -> Pin<Box<dyn Future<Output = ()> + 'c>> {
    Box::pin(reuse(cx, root, false))
}

/// The same with xas_reset() after relocking, as fs/dax.c does.
fn reset_walk<'c>(cx: &'c Cx<'c>, root: &'c XaRoot) -> Pin<Box<dyn Future<Output = ()> + 'c>> {
    Box::pin(reuse(cx, root, true))
}

async fn reuse(cx: &Cx<'_>, root: &XaRoot, reset: bool) {
    let mut xas = XaState::new(0);
    cx.xa_lock_irq(root).await;
    cx.xas_load(root, &mut xas).await;
    cx.xa_unlock_irq(root).await;
    cx.xa_lock_irq(root).await;
    if reset {
        xas.reset();
    }
    cx.xas_load(root, &mut xas).await;
    cx.xa_unlock_irq(root).await;
}

/// Erases index 1: the node holding 0 and 1 is freed as the array shrinks to its head.
fn erase_1<'c>(cx: &'c Cx<'c>, root: &'c XaRoot) -> Pin<Box<dyn Future<Output = ()> + 'c>> {
    Box::pin(async move {
        cx.xa_lock_irq(root).await;
        cx.xas_store(root, &mut XaState::new(1), None).await;
        cx.xa_unlock_irq(root).await;
    })
}

#[test]
fn reusing_a_walk_across_a_dropped_lock_is_a_use_after_free_only_without_xas_reset() {
    let stale: Vec<Run> = explore(false, 1, two_entries, &[reuse_walk, erase_1]);
    let hits: Vec<&Run> = stale.iter().filter(|r| r.violation.is_some()).collect();
    assert!(!hits.is_empty(), "the erase between the two critical sections frees the node");
    for run in hits {
        let Some(Invariant::LockMisuse { what }) = &run.violation else { panic!() };
        assert!(what.starts_with("xas_load() on an xa_state still at node#0, freed"), "{what}");
    }
    for run in explore(false, 1, two_entries, &[reset_walk, erase_1]) {
        assert_eq!(run.violation, None);
        // The second load, walked again from the head, finds index 0 wherever it now is.
        let loads: Vec<_> = kinds(&run).filter(|k| matches!(k, EventKind::XasLoad { .. })).collect();
        assert!(loads.iter().all(|k| matches!(k, EventKind::XasLoad { entry: Some(e), .. } if *e == xa_mk_value(1))));
    }
}

#[test]
fn the_recorded_events_rebuild_the_array() {
    let mut checked = 0;
    for run in explore(true, 1, empty, &[grab_pmd, grab_pte]) {
        assert_eq!(run.violation, None);
        assert_eq!(rebuild(&run.res.events).view(), run.xa.view());
        checked += 1;
    }
    assert!(checked > 50, "{checked} executions");
}
