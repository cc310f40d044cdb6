//! `cpus`: with fewer CPUs than threads a thread with preemption off keeps its CPU, and
//! switches are named for what they are.

mod common;

use common::*;
use daxlab::Kernel;
use daxlab::explore::DfsScheduler;
use daxlab::scenario::{PreloadPool, RunConfig, execute};
use daxlab::sim::SwitchHow;
use daxlab::trace::EventKind as E;

fn seed(cpus: Option<u32>) -> daxlab::Scenario {
    load("seed-race").with_cpus(cpus).unwrap()
}

fn min_preemptions(sc: &daxlab::Scenario, class: &str) -> Option<u32> {
    let r = explore_all(sc, Kernel::UNFIXED, 3);
    r.failures().find(|row| row.class == class).map(|row| row.witness.preemptions)
}

#[test]
fn the_seed_race_needs_two_preemptions_on_two_cpus_and_on_one() {
    assert_eq!(min_preemptions(&seed(Some(2)), "bug(pte-under-huge-pmd)"), Some(2));
    assert_eq!(min_preemptions(&seed(Some(1)), "bug(pte-under-huge-pmd)"), Some(2));
    assert!(classes(&explore_all(&seed(Some(1)), Kernel::FIXED, 3)).is_empty());
}

#[test]
fn with_a_warm_pool_one_cpu_cannot_open_the_window() {
    // radix_tree_preload() on a full pool is a bare preempt_disable(): on one CPU nothing
    // can run between T1's lookup and its insert, so the insertion race cannot happen.
    let mut sc = seed(Some(1));
    sc.preload_pool = PreloadPool::Warm;
    assert!(!classes(&explore_all(&sc, Kernel::UNFIXED, 3)).contains("bug(pte-under-huge-pmd)"));
    let mut two = seed(Some(2));
    two.preload_pool = PreloadPool::Warm;
    assert!(classes(&explore_all(&two, Kernel::UNFIXED, 3)).contains("bug(pte-under-huge-pmd)"));
}

#[test]
fn on_one_cpu_nobody_runs_while_a_thread_holds_tree_lock_and_switches_are_named() {
    let sc = seed(Some(1));
    let mut dfs = DfsScheduler::new(2);
    let cfg = RunConfig::new(Kernel::UNFIXED);
    loop {
        let ex = execute(&sc, &cfg, &mut dfs);
        let mut holder = None;
        for e in &ex.events {
            match e.kind {
                E::LockAcquire { .. } => holder = Some(e.tid),
                E::LockRelease { .. } => holder = None,
                _ => assert!(holder.is_none_or(|h| h == e.tid), "{:?} ran while {holder:?} held a lock", e.tid),
            }
        }
        for s in &ex.switches {
            assert_ne!(s.how, SwitchHow::OtherCpu, "one CPU: no thread runs ahead on another");
        }
        let counted = ex.switches.iter().filter(|s| s.preempted()).count() as u32;
        assert_eq!(counted, ex.preemptions);
        if !dfs.next_execution() {
            break;
        }
    }
}

#[test]
fn one_cpu_per_thread_is_the_default() {
    let a = explore_all(&load("seed-race"), Kernel::UNFIXED, 2);
    let b = explore_all(&seed(Some(2)), Kernel::UNFIXED, 2);
    assert_eq!((a.executions, a.failure_classes()), (b.executions, b.failure_classes()));
}

#[test]
fn the_cli_takes_cpus_and_refuses_zero() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_daxlab"))
        .args(["explore", "seed-race", "--variant", "unfixed", "--cpus", "1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("2 threads on 1 CPU"), "{out}");
    assert!(out.contains("T1 is preempted; T2 runs on its CPU"), "{out}");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_daxlab"))
        .args(["explore", "seed-race", "--cpus", "0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_cli_takes_a_warm_pool_and_says_the_machine() {
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_daxlab")).args(args).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let (code, out) = run(&["explore", "seed-race", "--variant", "unfixed", "--cpus", "1", "--preload-pool", "warm"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("2 threads on 1 CPU") && out.contains("every CPU's preload pool starts full"), "{out}");
    assert!(!out.contains("expected for"), "the scenario's [expect] is for its own machine: {out}");
    let (code, out) = run(&["explore", "seed-race", "--variant", "unfixed", "--preload-pool", "warm"]);
    assert_eq!(code, Some(1), "two CPUs still open the window: {out}");
    assert!(out.contains("each on a CPU of its own"), "{out}");
}
