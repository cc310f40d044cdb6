//! The checked-in traces (traces/) and their expected replays (replays/): the minimal
//! witness of every failure class of every built-in, plus the seed race's witness carried
//! over to the fixed variant. `daxlab golden` rewrites them after an intended change; the
//! test suite replays every trace and compares with its transcript.

use super::{ExploreConfig, explore, replay};
use crate::scenario::{BUILTINS, builtin};
use crate::sim::Variant;
use crate::trace::{RecordMode, Trace, diff_variants, replay_transcript, write_atomically};
use std::path::Path;

/// A file name for an outcome class: `bug(pte-under-huge-pmd)` → `bug-pte-under-huge-pmd`.
pub fn class_slug(class: &str) -> String {
    let s: String = class.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
    s.trim_matches('-').to_string()
}

/// Every golden trace, by file stem.
pub fn golden_traces() -> Vec<(String, Trace)> {
    let mut out = Vec::new();
    for (name, _) in BUILTINS {
        let sc = builtin(name).expect("listed").expect("built-ins load");
        let bound = sc.expect.as_ref().map_or(2, |e| e.preemptions);
        for variant in Variant::ALL {
            let report = explore(&sc, &ExploreConfig::exhaustive(variant, bound), &mut |_| {});
            for row in report.failures() {
                let (ex, _) = replay(&sc, variant, &row.witness.schedule);
                let mode = RecordMode::Explored { strategy: "exhaustive".into(), bound: Some(bound), seed: None };
                let stem = format!("{name}.{variant}.{}", class_slug(&row.class));
                out.push((stem, Trace::from_execution(&sc, variant, mode, &ex)));
            }
        }
    }
    out.push(seed_race_carried());
    out
}

/// The seed race's minimal failing interleaving, replayed under the fixed variant.
fn seed_race_carried() -> (String, Trace) {
    let sc = builtin("seed-race").expect("listed").expect("loads");
    let report = explore(&sc, &ExploreConfig::exhaustive(Variant::Unfixed, 2), &mut |_| {});
    let row = report.failures().next().expect("the seed race fails unfixed");
    let (ex, _) = replay(&sc, Variant::Unfixed, &row.witness.schedule);
    let from = format!("seed-race.unfixed.{}", class_slug(&row.class));
    let unfixed = Trace::from_execution(&sc, Variant::Unfixed, RecordMode::Replayed { from: from.clone() }, &ex);
    let d = diff_variants(&unfixed, &sc);
    let fixed = Trace::from_execution(&sc, Variant::Fixed, RecordMode::Replayed { from }, &d.carried.1);
    ("seed-race.fixed.same-interleaving".into(), fixed)
}

/// Writes every golden trace to `traces` and its transcript to `replays`; returns the stems.
pub fn write_goldens(traces: &Path, replays: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(traces)?;
    std::fs::create_dir_all(replays)?;
    let mut stems = Vec::new();
    for (stem, trace) in golden_traces() {
        let sc = trace.scenario().map_err(std::io::Error::other)?;
        write_atomically(&traces.join(format!("{stem}.daxtrace")), &trace.encode_binary())?;
        write_atomically(&replays.join(format!("{stem}.txt")), replay_transcript(&trace, &sc).as_bytes())?;
        stems.push(stem);
    }
    Ok(stems)
}
