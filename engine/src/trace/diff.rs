//! Differential replay: one interleaving, both variants.

use super::{Event, EventKind, Trace};
use crate::scenario::Scenario;
use crate::scenario::{Execution, RunConfig, execute};
use crate::sim::{Decision, FollowScheduler, ReplayScheduler, Variant};
use std::collections::BTreeSet;

pub struct VariantDiff {
    /// The recording replayed under its own variant.
    pub recorded: (Variant, Execution),
    /// The same interleaving carried over to the other variant.
    pub carried: (Variant, Execution),
    /// Index into each side's events (recorded, carried) of the first event that differs:
    /// before it, both sides have the same threads doing the same things (a re-lookup that
    /// found nothing aside). None if they never part.
    pub part: Option<(usize, usize)>,
}

impl VariantDiff {
    pub fn side(&self, v: Variant) -> &Execution {
        if self.recorded.0 == v { &self.recorded.1 } else { &self.carried.1 }
    }
}

fn same_action(a: &Event, b: &Event) -> bool {
    a.tid == b.tid && a.kind == b.kind
}

/// Replays `trace` under its variant and carries its schedule to the other one (see
/// [`FollowScheduler`] for the rule).
pub fn diff_variants(trace: &Trace, sc: &Scenario) -> VariantDiff {
    let here = trace.variant;
    let other = match here {
        Variant::Unfixed => Variant::Fixed,
        Variant::Fixed => Variant::Unfixed,
    };
    let recorded = execute(sc, &RunConfig::new(here), &mut ReplayScheduler::new(trace.schedule.0.clone()));
    let variant_only: BTreeSet<u32> =
        recorded.events.iter().filter(|e| matches!(e.kind, EventKind::Relookup { .. })).map(|e| e.step).collect();
    let choices = trace
        .schedule
        .0
        .iter()
        .filter_map(|d| match d {
            Decision::Choose(c) => Some(*c),
            Decision::Run(_) => None,
        })
        .collect();
    let mut follow = FollowScheduler::new(&recorded.runs, &variant_only, choices);
    let carried = execute(sc, &RunConfig::new(other), &mut follow);
    let part = first_parting(&recorded.events, &carried.events);
    VariantDiff { recorded: (here, recorded), carried: (other, carried), part }
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
