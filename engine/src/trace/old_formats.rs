//! Trace formats 1 to 3, which still open.
//!
//! Format 3 has the structure of format 4; only its binary body differs: uncompressed, with
//! one row per event where format 4 has columns. Formats 1 and 2 differ from 3 in two
//! more ways: version 1 names one of the seed race's two variants (`variant`: `unfixed` is
//! v4.11-rc5, `fixed` is v4.11) where later versions name the kernel; and both record each
//! switch only as `preempted` or not, where version 3 says how it came about. Those runs
//! had one CPU per thread, so a preemption was another thread running on its own CPU; a
//! switch from a thread that could not go on is named from the thread's last event before
//! it.

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

/// A switch of formats 1 and 2.
#[derive(Deserialize)]
pub(super) struct OldSwitch {
    step: u32,
    from: Tid,
    to: Tid,
    preempted: bool,
}

/// A switch as an old format records it.
pub(super) trait RecordedSwitch {
    /// The switch as format 4 says it, given the trace's events.
    fn switch(&self, events: &[Event]) -> Switch;
}

impl RecordedSwitch for OldSwitch {
    fn switch(&self, events: &[Event]) -> Switch {
        Switch { step: self.step, from: self.from, to: self.to, how: how(self, events) }
    }
}

impl RecordedSwitch for Switch {
    fn switch(&self, _: &[Event]) -> Switch {
        *self
    }
}

/// A version 1 (`K` = [`Variant`]), version 2 (`K` = [`Kernel`]) or, with `S` = [`Switch`],
/// version 3 trace.
#[derive(Deserialize)]
pub(super) struct Trace<K, S> {
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
    switches: Vec<S>,
    runs: Vec<(Tid, u32)>,
    #[serde(with = "crate::trace::wire::rows")]
    events: Vec<Event>,
    annotations: Annotations,
}

#[derive(Deserialize)]
pub(super) struct JsonTrace<K> {
    pub(super) trace: Trace<K, OldSwitch>,
}

impl<K: Into<Kernel>, S: RecordedSwitch> From<Trace<K, S>> for super::Trace {
    fn from(t: Trace<K, S>) -> Self {
        let switches = t.switches.iter().map(|s| s.switch(&t.events)).collect();
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
