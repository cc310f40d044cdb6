//! Witnesses: the narrated minimal schedule of a failure, and the witness file.

use super::walkthrough;
use daxlab::explore::class_slug;
use daxlab::explore::{ExploreReport, OutcomeRow, replay};
use daxlab::trace::{Bookmark, EventKind, RecordMode, Trace};
use daxlab::{Kernel, Scenario};
use std::path::{Path, PathBuf};

pub fn print_witness(sc: &Scenario, kernel: Kernel, row: &OutcomeRow) {
    let (ex, divergence) = replay(sc, kernel, &row.witness.schedule);
    let names = sc.thread_names();
    println!("\n✗ {}: {}", row.class, ex.outcome);
    if let Some(d) = divergence {
        println!("  (the replay diverged from the recorded schedule: {d})");
    }
    let p = ex.preemptions;
    println!("  minimal witness: {p} preemption{}", if p == 1 { "" } else { "s" });
    walkthrough::print(&ex.events, &ex.switches, &names, "  ");
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
            let (ex, _) = replay(sc, r.kernel, &row.witness.schedule);
            let mode = RecordMode::Explored { strategy: r.strategy.clone(), bound: r.bound, seed: row.witness.seed };
            let mut trace = Trace::from_execution(sc, r.kernel, mode, &ex);
            if let Some(bug) = ex.events.iter().find(|e| matches!(e.kind, EventKind::Bug { .. })) {
                trace.annotations.bookmarks.push(Bookmark { step: bug.step, note: ex.outcome.to_string() });
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
