//! A witness becomes a trace by re-running its schedule with events recorded. Everything
//! that turns a witness into something to show or save (the CLI's narrated witnesses and
//! `--witness-out` files, the golden traces, the workbench's opening trace and its Explore
//! mode) goes through [`witness_trace`], which refuses a re-run that does not end the way
//! the exploration saw it.

use super::{Witness, replay};
use crate::release::Kernel;
use crate::scenario::Scenario;
use crate::trace::{RecordMode, Trace};

/// The re-run of a witness differs from the run the exploration counted. The engine is
/// deterministic, so this is a bug in daxlab, never a property of the kernel model.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the witness of {outcome} in {scenario} ({kernel}) does not replay: {why} (a daxlab bug: please report it)")]
pub struct WitnessDiverged {
    pub scenario: String,
    pub kernel: Kernel,
    pub outcome: String,
    pub why: String,
}

/// Re-runs `w` (found exploring `sc` on `kernel`) with events recorded and wraps the
/// run in a trace recorded as `mode`.
pub fn witness_trace(sc: &Scenario, kernel: Kernel, w: &Witness, mode: RecordMode) -> Result<Trace, WitnessDiverged> {
    let (ex, divergence) = replay(sc, kernel, &w.schedule);
    let why = divergence
        .or_else(|| (ex.outcome != w.outcome).then(|| format!("it ends in {} instead", ex.outcome)))
        .or_else(|| (ex.steps != w.steps).then(|| format!("it takes {} steps, not {}", ex.steps, w.steps)))
        .or_else(|| {
            (ex.preemptions != w.preemptions)
                .then(|| format!("it has {} preemptions, not {}", ex.preemptions, w.preemptions))
        });
    match why {
        None => Ok(Trace::from_execution(sc, kernel, mode, &ex)),
        Some(why) => Err(WitnessDiverged { scenario: sc.name.clone(), kernel, outcome: w.outcome.to_string(), why }),
    }
}
