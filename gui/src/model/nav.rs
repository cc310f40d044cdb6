//! Moving the cursor: one event, one step, to the next event of a kind.
//!
//! The cursor is a position `pos` in `0..=events`: the first `pos` events have happened,
//! `events[pos - 1]` is the one just run (its narration is shown), and the state panels show
//! the machine after it. Position 0 is the start, before any thread ran.

use super::loaded::Loaded;
use daxlab::analysis::EventClass;
use daxlab::trace::EventKind;

/// What "run to the next …" looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// An insert's -EEXIST, or the place where the fix's re-lookup averts one.
    Eexist,
    Restart,
    Fallback,
    Wait,
    /// An invariant violation (the kernel's BUG or WARN).
    Bug,
    Preemption,
    /// Any event of this kind name (see [`KIND_NAMES`]).
    Kind(&'static str),
}

impl Target {
    pub const QUICK: [Target; 5] = [Target::Eexist, Target::Restart, Target::Fallback, Target::Wait, Target::Bug];

    pub fn label(self) -> &'static str {
        match self {
            Target::Eexist => "-EEXIST",
            Target::Restart => "restart",
            Target::Fallback => "fallback",
            Target::Wait => "wait",
            Target::Bug => "bug",
            Target::Preemption => "preemption",
            Target::Kind(k) => k,
        }
    }

    /// Whether an event of class `c` is what this target looks for.
    fn wants(self, c: EventClass) -> bool {
        match self {
            Target::Eexist => matches!(c, EventClass::Eexist | EventClass::Counterfactual),
            Target::Restart => c == EventClass::Restart,
            Target::Fallback => c == EventClass::Fallback,
            Target::Wait => c.is_wait(),
            Target::Bug => c == EventClass::Bug,
            Target::Preemption | Target::Kind(_) => false,
        }
    }
}

/// Every event kind, by the name the event list shows (the engine's JSON tag).
pub const KIND_NAMES: &[&str] = EventKind::NAMES;

/// The kind name of an event (as in the trace's JSON form).
pub fn kind_name(k: &EventKind) -> &'static str {
    k.name()
}

impl Loaded {
    /// Whether event `i` is a stop for the arrow keys (calls are skipped unless shown).
    pub fn is_stop(&self, i: usize, show_calls: bool) -> bool {
        show_calls || self.index.class[i] != EventClass::Call
    }

    fn matches(&self, i: usize, t: Target) -> bool {
        match t {
            Target::Kind(name) => kind_name(&self.events()[i].kind) == name,
            Target::Preemption => {
                let k = self.index.switches.partition_point(|&(at, _)| (at as usize) < i);
                self.index.switches.get(k).is_some_and(|&(at, pre)| at as usize == i && pre)
            }
            _ => t.wants(self.index.class[i]),
        }
    }

    /// The position one event on (skipping calls unless shown).
    pub fn step_forward(&self, pos: usize, show_calls: bool) -> usize {
        (pos..self.len()).find(|&i| self.is_stop(i, show_calls)).map_or(self.len(), |i| i + 1)
    }

    pub fn step_back(&self, pos: usize, show_calls: bool) -> usize {
        (0..pos.saturating_sub(1)).rev().find(|&i| self.is_stop(i, show_calls)).map_or(0, |i| i + 1)
    }

    /// The position just after the next event matching `t`, if any.
    pub fn find_next(&self, pos: usize, t: Target) -> Option<usize> {
        (pos..self.len()).find(|&i| self.matches(i, t)).map(|i| i + 1)
    }

    pub fn find_prev(&self, pos: usize, t: Target) -> Option<usize> {
        (0..pos.saturating_sub(1)).rev().find(|&i| self.matches(i, t)).map(|i| i + 1)
    }

    /// The position "step N" names (after the first event of step N), as everywhere else.
    pub fn pos_of_step(&self, step: u32) -> usize {
        self.timeline.pos_of_step(step)
    }

    /// The engine step of the event just run (0 at the start).
    pub fn step_at(&self, pos: usize) -> u32 {
        pos.checked_sub(1).and_then(|i| self.events().get(i)).map_or(0, |e| e.step)
    }
}
