//! Witnesses: the narrated minimal schedule of a failure, and the witness file.

use daxlab::explore::{ExploreReport, OutcomeRow, replay};
use daxlab::trace::{Bookmark, Event, EventKind, RecordMode, Trace, describe};
use daxlab::{Scenario, Variant};
use std::path::{Path, PathBuf};

/// Events that carry the story of a witness; the rest (rwsem traffic, tags, iomap_end) is
/// left out of the printed narration but kept in the witness file.
fn worth_telling(e: &Event) -> bool {
    !matches!(
        e.kind,
        EventKind::RwsemAcquire { .. }
            | EventKind::RwsemRelease { .. }
            | EventKind::IomapEnd { .. }
            | EventKind::TagClear { .. }
            | EventKind::PreloadEnd
            | EventKind::WaitEnd { .. }
    )
}

pub fn print_witness(sc: &Scenario, variant: Variant, row: &OutcomeRow) {
    let (ex, divergence) = replay(sc, variant, &row.witness.schedule);
    let names = sc.thread_names();
    println!("\n✗ {}: {}", row.class, ex.outcome);
    if let Some(d) = divergence {
        println!("  (the replay diverged from the recorded schedule: {d})");
    }
    let p = ex.preemptions;
    println!("  minimal witness: {p} preemption{} — replay it from the witness file", if p == 1 { "" } else { "s" });
    let mut switches = ex.switches.iter().peekable();
    for e in ex.events.iter().filter(|e| worth_telling(e)) {
        while let Some(s) = switches.next_if(|s| s.step <= e.step) {
            let (from, to) = (&names[s.from.index()], &names[s.to.index()]);
            if s.preempted {
                println!("  ─── preemption: {from} is switched out, {to} runs ───");
            } else {
                println!("  ─── {from} cannot go on; {to} runs ───");
            }
        }
        println!("  {:>5}  {:<4} {}", e.step, names[e.tid.index()], describe(&e.kind, &names));
    }
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
            let (ex, _) = replay(sc, r.variant, &row.witness.schedule);
            let mode = RecordMode::Explored { strategy: r.strategy.clone(), bound: r.bound, seed: row.witness.seed };
            let mut trace = Trace::from_execution(sc, r.variant, mode, &ex);
            if let Some(bug) = ex.events.iter().find(|e| matches!(e.kind, EventKind::Bug { .. })) {
                trace.annotations.bookmarks.push(Bookmark { step: bug.step, note: ex.outcome.to_string() });
            }
            let class: String =
                row.class.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
            let class = class.trim_matches('-');
            let ext = if json { "json" } else { "daxtrace" };
            let path = dir.join(format!("{}.{}.{class}.{ext}", sc.name, r.variant));
            trace.save(&path).map_err(|e| e.to_string())?;
            written.push(path);
        }
    }
    Ok(written)
}
