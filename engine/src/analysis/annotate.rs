//! What a trace shows, found by reading its events: race windows and who slipped into
//! them, -EEXIST (real, or what the unfixed kernel would have got), restarts, fallbacks,
//! sleeps and wake-ups, lock hand-offs.

use crate::dax::FallbackReason;
use crate::kernel::{Errno, LockId};
use crate::mm::PeSize;
use crate::sim::Tid;
use crate::trace::{Event, EventKind, RestartReason};
use serde::Serialize;
use std::collections::BTreeMap;

/// Another thread's insert covering the window's index while the window was open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Intrusion {
    pub tid: Tid,
    pub step: u32,
    pub index: u64,
    pub order: u32,
}

/// grab_mapping_entry()'s preload window: `tid` found nothing at `index`, dropped
/// tree_lock to preload, and holds nothing there until it retakes the lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RaceWindow {
    pub tid: Tid,
    pub index: u64,
    pub open: u32,
    pub close: Option<u32>,
    pub intruders: Vec<Intrusion>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EexistKind {
    /// __radix_tree_insert() returned -EEXIST.
    Actual,
    /// The fix's re-lookup found an entry: without the fix, the insert that follows would
    /// have returned -EEXIST here.
    Counterfactual,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EexistPoint {
    pub tid: Tid,
    pub step: u32,
    pub index: u64,
    /// The fault that asked: a PMD request falls back on -EEXIST, a 4 KiB one restarts.
    pub request: Option<PeSize>,
    pub kind: EexistKind,
    /// The insert that made it happen, when it came inside this thread's window; None
    /// for a legitimate collision with 4 KiB entries elsewhere in the range.
    pub cause: Option<Intrusion>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WakeUp {
    pub waker: Tid,
    pub step: u32,
    pub key_index: u64,
    pub all: bool,
    pub woken: Vec<Tid>,
}

/// A lock released by one thread and next taken by another that was waiting for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Handoff {
    pub lock: LockId,
    pub from: Tid,
    pub released: u32,
    pub to: Tid,
    pub acquired: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Analysis {
    pub windows: Vec<RaceWindow>,
    pub eexist: Vec<EexistPoint>,
    pub restarts: Vec<(Tid, u32, u64, RestartReason)>,
    pub fallbacks: Vec<(Tid, u32, FallbackReason)>,
    pub wakeups: Vec<WakeUp>,
    pub handoffs: Vec<Handoff>,
}

#[derive(Default)]
struct ThreadCtx {
    last_lookup_empty: Option<u64>,
    released_after_empty_lookup: Option<(u64, u32)>,
    open_window: Option<usize>,
    fault: Option<PeSize>,
    contending: Option<LockId>,
}

fn covers(i: &Intrusion, index: u64) -> bool {
    index >= i.index && index < i.index + (1u64 << i.order)
}

pub fn analyze(events: &[Event]) -> Analysis {
    let mut a = Analysis::default();
    let mut ctx: BTreeMap<Tid, ThreadCtx> = BTreeMap::new();
    let mut last_release: BTreeMap<LockId, (Tid, u32)> = BTreeMap::new();
    for e in events {
        let t = ctx.entry(e.tid).or_default();
        // A window opens only if the release is followed by the preload.
        if let Some((index, step)) = t.released_after_empty_lookup.take()
            && matches!(e.kind, EventKind::Preload { .. })
        {
            a.windows.push(RaceWindow { tid: e.tid, index, open: step, close: None, intruders: Vec::new() });
            t.open_window = Some(a.windows.len() - 1);
        }
        match &e.kind {
            EventKind::FaultBegin { size, .. } => t.fault = Some(*size),
            EventKind::Lookup { index, found, .. } => {
                t.last_lookup_empty = found.is_none().then_some(*index);
            }
            EventKind::LockContended { lock, .. } => t.contending = Some(*lock),
            EventKind::LockRelease { lock } => {
                if *lock == LockId::TreeLock
                    && let Some(index) = t.last_lookup_empty.take()
                {
                    t.released_after_empty_lookup = Some((index, e.step));
                }
                last_release.insert(*lock, (e.tid, e.step));
            }
            EventKind::LockAcquire { lock } => {
                if *lock == LockId::TreeLock
                    && let Some(w) = t.open_window.take()
                {
                    a.windows[w].close = Some(e.step);
                }
                if t.contending.take() == Some(*lock)
                    && let Some(&(from, released)) = last_release.get(lock)
                    && from != e.tid
                {
                    a.handoffs.push(Handoff { lock: *lock, from, released, to: e.tid, acquired: e.step });
                }
            }
            EventKind::Insert { index, order, err: None, .. } => {
                let intrusion = Intrusion { tid: e.tid, step: e.step, index: *index, order: *order };
                for w in a.windows.iter_mut().filter(|w| w.close.is_none() && w.tid != e.tid) {
                    if covers(&intrusion, w.index) {
                        w.intruders.push(intrusion.clone());
                    }
                }
            }
            EventKind::Insert { index, err: Some(Errno::Eexist), .. } => {
                let x = eexist_at(&a.windows, e, *index, t.fault, EexistKind::Actual);
                a.eexist.push(x);
            }
            EventKind::Relookup { index, found: Some(_), .. } => {
                let x = eexist_at(&a.windows, e, *index, t.fault, EexistKind::Counterfactual);
                a.eexist.push(x);
            }
            EventKind::Restart { index, reason } => a.restarts.push((e.tid, e.step, *index, *reason)),
            EventKind::Fallback { reason, .. } => a.fallbacks.push((e.tid, e.step, *reason)),
            EventKind::Wake { key, all, woken, .. } => a.wakeups.push(WakeUp {
                waker: e.tid,
                step: e.step,
                key_index: key.index,
                all: *all,
                woken: woken.iter().collect(),
            }),
            _ => {}
        }
    }
    a
}

fn eexist_at(windows: &[RaceWindow], e: &Event, index: u64, request: Option<PeSize>, kind: EexistKind) -> EexistPoint {
    let cause = cause_in_last_window(windows, e.tid, index);
    EexistPoint { tid: e.tid, step: e.step, index, request, kind, cause }
}

fn cause_in_last_window(windows: &[RaceWindow], tid: Tid, index: u64) -> Option<Intrusion> {
    windows.iter().rev().find(|w| w.tid == tid).and_then(|w| w.intruders.iter().find(|i| covers(i, index)).cloned())
}
