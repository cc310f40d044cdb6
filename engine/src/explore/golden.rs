//! The checked-in traces (traces/) and their expected replays (replays/): the minimal
//! witness of every failure class of every built-in on each of [`GOLDEN_KERNELS`], plus the
//! seed race's witness carried over to the fixed kernel. `daxlab golden` rewrites them after an intended change; the
//! test suite replays every trace and compares with its transcript.

use super::{ExploreConfig, WitnessDiverged, explore, witness_trace};
use crate::release::Kernel;
use crate::scenario::{BUILTINS, builtin};
use crate::trace::{RecordMode, Trace, diff_kernels, replay_transcript, write_atomically};
use std::path::Path;

/// A file name for an outcome class: `bug(pte-under-huge-pmd)` → `bug-pte-under-huge-pmd`.
pub fn class_slug(class: &str) -> String {
    let s: String = class.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
    // `warn(x) then ok` would leave a double dash.
    s.split('-').filter(|w| !w.is_empty()).collect::<Vec<_>>().join("-")
}

/// The kernels whose witnesses are checked in: the seed race's two, named `unfixed` and
/// `fixed` in the file names (docs/ and challenges/ refer to them).
pub const GOLDEN_KERNELS: [Kernel; 2] = [Kernel::UNFIXED, Kernel::FIXED];

/// Every golden trace, by file stem: `<scenario>.<kernel slug>.<class slug>`.
pub fn golden_traces() -> Result<Vec<(String, Trace)>, WitnessDiverged> {
    let mut out = Vec::new();
    for (name, _) in BUILTINS {
        let sc = builtin(name).expect("listed").expect("built-ins load");
        let bound = sc.expect.as_ref().map_or(2, |e| e.preemptions);
        for kernel in GOLDEN_KERNELS {
            let report = explore(&sc, &ExploreConfig::exhaustive(kernel, bound), &mut |_| {});
            for row in report.failures() {
                let mode = RecordMode::Explored { strategy: "exhaustive".into(), bound: Some(bound), seed: None };
                let stem = format!("{name}.{}.{}", kernel.slug(), class_slug(&row.class));
                out.push((stem, witness_trace(&sc, kernel, &row.witness, mode)?));
            }
        }
    }
    out.push(seed_race_carried()?);
    Ok(out)
}

/// The seed race's minimal failing interleaving, carried over to the fixed kernel.
fn seed_race_carried() -> Result<(String, Trace), WitnessDiverged> {
    let sc = builtin("seed-race").expect("listed").expect("loads");
    let report = explore(&sc, &ExploreConfig::exhaustive(Kernel::UNFIXED, 2), &mut |_| {});
    let row = report.failures().next().expect("the seed race fails unfixed");
    let from = format!("seed-race.unfixed.{}", class_slug(&row.class));
    let mode = RecordMode::Replayed { from: from.clone() };
    let unfixed = witness_trace(&sc, Kernel::UNFIXED, &row.witness, mode)?;
    let d = diff_kernels(&unfixed, &sc, Kernel::FIXED);
    let fixed = Trace::from_execution(&sc, Kernel::FIXED, RecordMode::Replayed { from }, &d.carried.1);
    Ok(("seed-race.fixed.same-interleaving".into(), fixed))
}

/// Writes every golden trace to `traces` and its transcript to `replays`; returns the stems.
pub fn write_goldens(traces: &Path, replays: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(traces)?;
    std::fs::create_dir_all(replays)?;
    let mut stems = Vec::new();
    for (stem, trace) in golden_traces().map_err(std::io::Error::other)? {
        let sc = trace.scenario().map_err(std::io::Error::other)?;
        write_atomically(&traces.join(format!("{stem}.daxtrace")), &trace.encode_binary())?;
        write_atomically(&replays.join(format!("{stem}.txt")), replay_transcript(&trace, &sc).as_bytes())?;
        stems.push(stem);
    }
    Ok(stems)
}
