//! PCT (`Strategy::Pct`): a depth-d run preempts only at its d - 1 change points, so depth 1
//! never preempts and cannot find the seed race, which needs two preemptions; depth 3 can,
//! and does within a few hundred runs; runs are repeatable from the seed.

use daxlab::Kernel;
use daxlab::explore::{ExploreConfig, ExploreReport, Strategy, explore};
use daxlab::scenario::builtin;

fn pct(kernel: Kernel, runs: u64, seed: u64, depth: u32) -> ExploreReport {
    let sc = builtin("seed-race").unwrap().unwrap();
    let cfg = ExploreConfig { strategy: Strategy::Pct { runs, seed, depth }, ..ExploreConfig::exhaustive(kernel, 0) };
    explore(&sc, &cfg, &mut |_| {})
}

#[test]
fn depth_one_runs_each_thread_to_its_end_and_misses_the_race() {
    let r = pct(Kernel::UNFIXED, 300, 7, 1);
    assert_eq!(r.executions, 300);
    assert!(r.rows.iter().all(|row| row.by_preemptions.iter().skip(1).all(|n| *n == 0)), "{:?}", r.rows);
    assert!(r.failure_classes().is_empty());
}

#[test]
fn depth_three_finds_the_seed_race_and_only_on_the_unfixed_kernel() {
    let r = pct(Kernel::UNFIXED, 300, 7, 3);
    assert!(r.failure_classes().contains("bug(pte-under-huge-pmd)"), "{:?}", r.failure_classes());
    assert!(pct(Kernel::FIXED, 300, 7, 3).failure_classes().is_empty());
}

#[test]
fn a_seed_repeats_its_runs() {
    let json = |r: ExploreReport| {
        let mut v = serde_json::to_value(r).unwrap();
        v.as_object_mut().unwrap().remove("elapsed");
        v
    };
    assert_eq!(json(pct(Kernel::UNFIXED, 100, 3, 3)), json(pct(Kernel::UNFIXED, 100, 3, 3)));
}
