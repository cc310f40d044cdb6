//! Trace formats 1 and 2, which still open.
//!
//! Both have the structure of format 3 with two differences: version 1 names one of the
//! seed race's two variants (`variant`: `unfixed` is v4.11-rc5, `fixed` is v4.11) where
//! later versions name the kernel; and both record each switch only as `preempted` or
//! not, where version 3 says how it came about. Those runs had one CPU per thread, so a
//! preemption was another thread running on its own CPU; a switch from a thread that could
//! not go on is named from the thread's last event before it.

use super::file::{Annotations, RecordMode};
use super::{Event, EventKind};
use crate::check::{Note, Outcome};
use crate::release::Kernel;
use crate::sim::{Schedule, Switch, SwitchHow, Tid};
use serde::Deserialize;

/// Version 1's kernel.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Variant {
    Unfixed,
    Fixed,
}

impl From<Variant> for Kernel {
    fn from(v: Variant) -> Kernel {
        match v {
            Variant::Unfixed => Kernel::UNFIXED,
            Variant::Fixed => Kernel::FIXED,
        }
    }
}

#[derive(Deserialize)]
struct OldSwitch {
    step: u32,
    from: Tid,
    to: Tid,
    preempted: bool,
}

/// A version 1 (`K` = [`Variant`]) or version 2 (`K` = [`Kernel`]) trace.
#[derive(Deserialize)]
pub(super) struct Trace<K> {
    scenario: String,
    scenario_source: String,
    #[serde(alias = "variant")]
    kernel: K,
    mode: RecordMode,
    schedule: Schedule,
    outcome: Outcome,
    notes: Vec<Note>,
    steps: u32,
    preemptions: u32,
    switches: Vec<OldSwitch>,
    runs: Vec<(Tid, u32)>,
    #[serde(with = "crate::trace::wire")]
    events: Vec<Event>,
    annotations: Annotations,
}

#[derive(Deserialize)]
pub(super) struct JsonTrace<K> {
    pub(super) trace: Trace<K>,
}

impl<K: Into<Kernel>> From<Trace<K>> for super::Trace {
    fn from(t: Trace<K>) -> Self {
        let switches = t
            .switches
            .iter()
            .map(|s| Switch { step: s.step, from: s.from, to: s.to, how: how(s, &t.events) })
            .collect();
        super::Trace {
            scenario: t.scenario,
            scenario_source: t.scenario_source,
            kernel: t.kernel.into(),
            mode: t.mode,
            schedule: t.schedule,
            outcome: t.outcome,
            notes: t.notes,
            steps: t.steps,
            preemptions: t.preemptions,
            switches,
            runs: t.runs,
            events: t.events,
            annotations: t.annotations,
        }
    }
}

fn how(s: &OldSwitch, events: &[Event]) -> SwitchHow {
    if s.preempted {
        return SwitchHow::OtherCpu;
    }
    match events.iter().rev().find(|e| e.tid == s.from && e.step < s.step).map(|e| &e.kind) {
        Some(EventKind::ThreadExit { .. }) => SwitchHow::Exits,
        Some(EventKind::LockContended { .. }) => SwitchHow::Spins,
        _ => SwitchHow::Sleeps,
    }
}
