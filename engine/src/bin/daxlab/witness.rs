//! Witnesses: the narrated minimal schedule of a failure, and the witness file.

use super::walkthrough;
use daxlab::Scenario;
use daxlab::explore::{ExploreReport, OutcomeRow, class_slug, witness_trace};
use daxlab::trace::{Bookmark, EventKind, RecordMode, Trace};
use std::path::{Path, PathBuf};

fn mode(r: &ExploreReport, row: &OutcomeRow) -> RecordMode {
    RecordMode::Explored { strategy: r.strategy.clone(), bound: r.bound, seed: row.witness.seed }
}

/// The witness of `row` as a trace (see [`witness_trace`]).
fn trace_of(sc: &Scenario, r: &ExploreReport, row: &OutcomeRow) -> Result<Trace, String> {
    witness_trace(sc, r.kernel, &row.witness, mode(r, row)).map_err(|e| e.to_string())
}

pub fn print_witness(sc: &Scenario, r: &ExploreReport, row: &OutcomeRow) -> Result<(), String> {
    let trace = trace_of(sc, r, row)?;
    let names = sc.thread_names();
    println!("\n✗ {}: {}", row.class, trace.outcome);
    let p = trace.preemptions;
    println!("  minimal witness: {p} preemption{}", if p == 1 { "" } else { "s" });
    walkthrough::print(&trace.events, &trace.switches, &names, "  ");
    Ok(())
}

/// Writes the minimal witness of every failure class as a trace file in `dir`, bookmarked
/// at the step where the failure shows. Returns the paths written.
pub fn write_witnesses(
    dir: &Path,
    sc: &Scenario,
    reports: &[ExploreReport],
    json: bool,
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for r in reports {
        for row in r.failures() {
            let mut trace = trace_of(sc, r, row)?;
            if let Some(bug) = trace.events.iter().find(|e| matches!(e.kind, EventKind::Bug { .. })) {
                let note = trace.outcome.to_string();
                trace.annotations.bookmarks.push(Bookmark { step: bug.step, note });
            }
            let class = class_slug(&row.class);
            let ext = if json { "json" } else { "daxtrace" };
            let path = dir.join(format!("{}.{}.{class}.{ext}", sc.name, r.kernel.slug()));
            trace.save(&path).map_err(|e| e.to_string())?;
            written.push(path);
        }
    }
    Ok(written)
}
