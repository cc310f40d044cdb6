//! Traces the workbench makes itself: the seed race's witness it opens on, and a
//! scenario's first failing (or else first) interleaving when the user picks a scenario.

use super::{Loaded, Origin};
use daxlab::Kernel;
use daxlab::Scenario;
use daxlab::explore::{ExploreConfig, OutcomeRow, explore, witness_trace};
use daxlab::scenario::{RunConfig, execute};
use daxlab::sim::DefaultScheduler;
use daxlab::trace::RecordMode;

/// The row to show first: the first failure, else the first outcome that took an
/// annotated path (a fallback, a restart), else the plain one.
pub fn pick_row(rows: &[OutcomeRow]) -> Option<&OutcomeRow> {
    rows.iter().find(|r| r.failure).or_else(|| rows.iter().find(|r| !r.notes.is_empty())).or(rows.first())
}

/// Explores `sc` under `kernel` (exhaustively, at the scenario's expected preemption
/// bound, capped so that a big scenario still answers quickly) and opens the most
/// interesting witness at step 0.
pub fn witness(sc: &Scenario, kernel: Kernel) -> Loaded {
    let bound = sc.expect.as_ref().map_or(2, |e| e.preemptions);
    let cfg = ExploreConfig { max_executions: Some(20_000), ..ExploreConfig::exhaustive(kernel, bound) };
    let report = explore(sc, &cfg, &mut |_| {});
    match pick_row(&report.rows) {
        Some(row) => {
            let mode = RecordMode::Explored { strategy: "exhaustive".into(), bound: Some(bound), seed: None };
            let what = format!("{} · {} · minimal witness of {}", sc.name, kernel.label(), row.label);
            // A witness that does not replay is a daxlab bug; the run with no preemptions
            // is still worth showing.
            match witness_trace(sc, kernel, &row.witness, mode) {
                Ok(trace) => Loaded::made(trace, Origin::Made(what)),
                Err(_) => default_run(sc, kernel),
            }
        }
        None => default_run(sc, kernel),
    }
}

/// The run where no thread is ever preempted.
pub fn default_run(sc: &Scenario, kernel: Kernel) -> Loaded {
    let ex = execute(sc, &RunConfig::new(kernel), &mut DefaultScheduler);
    let what = format!("{} · {} · no preemptions", sc.name, kernel.label());
    Loaded::from_execution(sc, kernel, RecordMode::Interactive, &ex, Origin::Made(what))
}

/// What the workbench opens on: the seed race, unfixed, at its minimal failing witness.
pub fn seed_race() -> Loaded {
    let sc = daxlab::scenario::builtin("seed-race").expect("seed-race is built in").expect("built-ins parse");
    witness(&sc, Kernel::UNFIXED)
}
