//! Differential replay: one interleaving, two kernels.

use super::{Event, EventKind, Trace};
use crate::release::Kernel;
use crate::scenario::{Execution, RunConfig, Scenario, execute};
use crate::sim::{Decision, FollowScheduler, ReplayScheduler};
use std::collections::BTreeSet;

pub struct KernelDiff {
    /// The recording replayed on its own kernel.
    pub recorded: (Kernel, Execution),
    /// The same interleaving carried over to the other kernel.
    pub carried: (Kernel, Execution),
    /// Index into each side's events (recorded, carried) of the first event that differs:
    /// before it, both sides have the same threads doing the same things (a re-lookup that
    /// found nothing aside). None if they never part.
    pub part: Option<(usize, usize)>,
}

impl KernelDiff {
    /// The execution on `kernel`: the recorded side if it ran that kernel, else the
    /// carried one.
    pub fn side(&self, kernel: Kernel) -> &Execution {
        if self.recorded.0 == kernel { &self.recorded.1 } else { &self.carried.1 }
    }
}

fn same_action(a: &Event, b: &Event) -> bool {
    a.tid == b.tid && a.kind == b.kind
}

/// Replays `trace` on its kernel and carries its schedule to `other` (see
/// [`FollowScheduler`] for the rule). [`Kernel::counterpart`] is the usual `other`.
pub fn diff_kernels(trace: &Trace, sc: &Scenario, other: Kernel) -> KernelDiff {
    let here = trace.kernel;
    let recorded = execute(sc, &RunConfig::new(here), &mut ReplayScheduler::new(trace.schedule.0.clone()));
    let kernel_only: BTreeSet<u32> = recorded.kernel_only_steps.iter().copied().collect();
    let choices = trace
        .schedule
        .0
        .iter()
        .filter_map(|d| match d {
            Decision::Choose(c) => Some(*c),
            Decision::Run(_) => None,
        })
        .collect();
    let mut follow = FollowScheduler::new(&recorded.runs, &kernel_only, choices);
    let carried = execute(sc, &RunConfig::new(other), &mut follow);
    let part = first_parting(&recorded.events, &carried.events);
    KernelDiff { recorded: (here, recorded), carried: (other, carried), part }
}

/// Walks both event lists in order. A re-lookup that finds nothing changes nothing, so it
/// is stepped over; one that finds an entry is where the paths part, like any other
/// difference.
fn first_parting(a: &[Event], b: &[Event]) -> Option<(usize, usize)> {
    let shared = |events: &[Event]| -> Vec<usize> {
        (0..events.len()).filter(|&i| !matches!(events[i].kind, EventKind::Relookup { found: None, .. })).collect()
    };
    let (sa, sb) = (shared(a), shared(b));
    let k = (0..sa.len().max(sb.len())).find(|&k| match (sa.get(k), sb.get(k)) {
        (Some(&i), Some(&j)) => !same_action(&a[i], &b[j]),
        _ => true,
    })?;
    Some((sa.get(k).copied().unwrap_or(a.len()), sb.get(k).copied().unwrap_or(b.len())))
}
