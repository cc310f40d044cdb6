//! Partial-order reduction, checked against the unreduced search on every built-in and
//! every kernel of both eras (releases with the same era and fixes run the same code, so
//! one release per distinct era and set of fixes): the same outcome classes, each with the
//! same fewest preemptions and, among those, the same fewest steps; the same Mazurkiewicz
//! traces (by count: every execution of the reduced search is one of the unreduced
//! search's, so equal counts mean equal sets); and no more executions.
//!
//! The test suite's check compares at the scenario's own bound unless the unreduced search
//! there would take more than `BUDGET` executions; then at the highest bound under it. The
//! suite must take seconds, and the unreduced search at bound 2 of preload-enomem alone runs
//! 290,000 executions. Each bound multiplies the executions by ten to fifteen on these
//! scenarios, so a bound is not tried when `GROWTH` times the executions of the one below
//! would exceed the budget. Which bound was compared is printed. The full comparison, every
//! built-in at its own bound, is the ignored test below (minutes in a release build):
//!
//! ```sh
//! cargo test --release -p daxlab --test reduction -- --ignored
//! ```

mod common;

use common::kernel_models;
use daxlab::Kernel;
use daxlab::check::OnWarn;
use daxlab::explore::{ExploreConfig, ExploreReport, Reduction, explore};
use daxlab::scenario::{BUILTINS, builtin};
use std::collections::BTreeMap;

const BUDGET: u64 = 6_000;

const GROWTH: u64 = 12;

fn search(
    sc: &daxlab::Scenario,
    kernel: Kernel,
    bound: u32,
    reduction: Reduction,
    max_executions: Option<u64>,
) -> ExploreReport {
    let cfg =
        ExploreConfig { reduction, count_traces: true, max_executions, ..ExploreConfig::exhaustive(kernel, bound) };
    explore(sc, &cfg, &mut |_| {})
}

/// label -> (fewest preemptions, fewest steps among those).
fn minima(r: &ExploreReport) -> BTreeMap<String, (u32, u32)> {
    r.rows.iter().map(|row| (row.label.clone(), (row.witness.preemptions, row.witness.steps))).collect()
}

/// Compares the two searches on `sc` and `kernel` at `bound`.
fn compare(sc: &daxlab::Scenario, kernel: Kernel, bound: u32, none: &ExploreReport) {
    let dpor = search(sc, kernel, bound, Reduction::Dpor, None);
    let at = format!("{} ({kernel}), bound {bound}", sc.name);
    assert!(dpor.complete, "{at}");
    assert_eq!(minima(&dpor), minima(none), "{at}: outcome classes or their minimal witnesses differ");
    assert_eq!(dpor.traces, none.traces, "{at}: Mazurkiewicz traces differ");
    assert!(dpor.executions <= none.executions, "{at}");
}

/// Compares at the scenario's own bound, or the highest bound under it that fits the
/// budget; says so in `lowered` when that is lower.
fn compare_within_budget(sc: &daxlab::Scenario, kernel: Kernel, lowered: &mut Vec<String>) {
    let own = sc.expect.as_ref().map_or(2, |e| e.preemptions);
    let (mut bound, mut none) = (0, search(sc, kernel, 0, Reduction::None, Some(BUDGET)));
    assert!(none.complete, "{} ({kernel}): bound 0 fits the budget", sc.name);
    while bound < own && none.executions * GROWTH <= BUDGET {
        let r = search(sc, kernel, bound + 1, Reduction::None, Some(BUDGET));
        if !r.complete {
            break;
        }
        (bound, none) = (bound + 1, r);
    }
    if bound < own {
        lowered.push(format!("{} ({kernel}): bound {bound} instead of {own}", sc.name));
    }
    compare(sc, kernel, bound, &none);
}

#[test]
fn every_builtin_reduced_finds_what_unreduced_finds() {
    let mut lowered = Vec::new();
    for (name, _) in BUILTINS {
        let sc = builtin(name).unwrap().unwrap();
        for kernel in kernel_models() {
            compare_within_budget(&sc, kernel, &mut lowered);
        }
    }
    eprintln!("compared below the scenario's bound (budget {BUDGET}): {lowered:#?}");
}

/// With on_warn = "continue" a run goes on past its WARNs, where the footprints of the
/// code after each WARN (and of the WARN's own record) must keep the reduction exact. The
/// built-ins that WARN, each with the setting their file does not have.
#[test]
fn runs_past_a_warn_reduced_finds_what_unreduced_finds() {
    let mut lowered = Vec::new();
    for name in ["hole-read-then-write", "hole-page-over-pmd", "truncate-vs-drop-caches", "misaligned-pmd"] {
        let sc = builtin(name).unwrap().unwrap();
        let flipped = match sc.on_warn {
            OnWarn::Stop => OnWarn::Continue,
            OnWarn::Continue => OnWarn::Stop,
        };
        let sc = sc.with_on_warn(flipped).unwrap();
        for kernel in kernel_models() {
            compare_within_budget(&sc, kernel, &mut lowered);
        }
    }
    eprintln!("compared below the scenario's bound (budget {BUDGET}): {lowered:#?}");
}

/// Injected choices (every radix_tree_preload() and atomic node allocation may fail) are
/// explored in full by both searches; preload-enomem above only fits the budget at bound 0.
#[test]
fn injected_allocation_failures_reduced_finds_what_unreduced_finds() {
    for name in ["seed-race", "holetest-mini"] {
        let mut sc = builtin(name).unwrap().unwrap();
        sc.inject_enomem = true;
        for kernel in kernel_models() {
            let none = search(&sc, kernel, 1, Reduction::None, None);
            compare(&sc, kernel, 1, &none);
        }
    }
}

#[test]
#[ignore]
fn every_builtin_at_its_own_bound() {
    for (name, _) in BUILTINS {
        let sc = builtin(name).unwrap().unwrap();
        let own = sc.expect.as_ref().map_or(2, |e| e.preemptions);
        for kernel in kernel_models() {
            compare(&sc, kernel, own, &search(&sc, kernel, own, Reduction::None, None));
        }
    }
}
