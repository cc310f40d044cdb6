//! Witnesses: the narrated minimal schedule of a failure, and the witness file.

use daxlab::explore::{ExploreReport, OutcomeRow, replay};
use daxlab::sim::Execution;
use daxlab::trace::{Event, EventKind, describe};
use daxlab::{Scenario, Variant};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

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

#[derive(Serialize)]
struct WitnessFile<'a> {
    format: &'static str,
    version: u32,
    engine: &'static str,
    scenario: &'a str,
    scenario_source: &'a str,
    witnesses: Vec<WitnessRecord>,
}

#[derive(Serialize)]
struct WitnessRecord {
    variant: Variant,
    class: String,
    outcome: daxlab::Outcome,
    preemptions: u32,
    schedule: daxlab::Schedule,
    events: Vec<Event>,
}

fn record(sc: &Scenario, variant: Variant, row: &OutcomeRow) -> WitnessRecord {
    let (ex, _): (Execution, _) = replay(sc, variant, &row.witness.schedule);
    WitnessRecord {
        variant,
        class: row.class.clone(),
        outcome: ex.outcome,
        preemptions: ex.preemptions,
        schedule: row.witness.schedule.clone(),
        events: ex.events,
    }
}

/// Writes every failure witness; the file is written to a temporary name and renamed, so
/// an earlier file is never left half-overwritten.
pub fn write_witnesses(path: &Path, sc: &Scenario, reports: &[ExploreReport]) -> std::io::Result<usize> {
    let witnesses: Vec<WitnessRecord> =
        reports.iter().flat_map(|r| r.failures().map(move |row| record(sc, r.variant, row))).collect();
    let n = witnesses.len();
    let file = WitnessFile {
        format: "daxlab-witness",
        version: 1,
        engine: env!("CARGO_PKG_VERSION"),
        scenario: &sc.name,
        scenario_source: &sc.source,
        witnesses,
    };
    let json = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("json.tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&json)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(n)
}
