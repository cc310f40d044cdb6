//! A compact index over a trace's events, built in one pass when a trace is opened, so the
//! panels can draw and search a million events without touching the events themselves:
//! per-event thread and class, who holds tree_lock and who waits after each event,
//! each thread's events, and the race annotations placed on event indices.
//!
//! Nothing here decides what the kernel does; it only files what the recording says.

use super::pyramid::Pyramid;
use daxlab::analysis::{Analysis, EexistKind, EventClass};
use daxlab::kernel::LockId;
use daxlab::trace::{Event, EventKind};

/// An arrow between two events of different threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrowKind {
    /// A lock released by one thread and next taken by a thread that was spinning on it.
    Handoff,
    /// A wake-up reaching a sleeper.
    Wake,
    /// An insert that landed inside another thread's race window, to where it bites.
    Intrusion,
}

#[derive(Clone, Copy, Debug)]
pub struct Arrow {
    pub from: u32,
    pub to: u32,
    pub kind: ArrowKind,
}

/// A race window on event indices: `tid` dropped tree_lock (at `open`) having found
/// nothing at `index`, and retook it at `close`.
#[derive(Clone, Debug)]
pub struct Window {
    pub tid: u8,
    pub index: u64,
    pub open: u32,
    pub close: u32,
    /// Event indices of other threads' inserts into it.
    pub intruders: Vec<u32>,
}

pub const NO_THREAD: u8 = u8::MAX;

pub struct TraceIndex {
    pub threads: usize,
    pub tid: Vec<u8>,
    /// What each event means (the engine's classification of the analysed trace).
    pub class: Vec<EventClass>,
    /// tree_lock holder after each event (NO_THREAD when free).
    pub holder: Vec<u8>,
    /// Threads sleeping (entry or page waits) after each event, as a bit set.
    pub sleeping: Vec<u64>,
    /// Threads spinning on a lock or waiting on an rwsem after each event.
    pub spinning: Vec<u64>,
    /// Each thread's event indices, ascending.
    pub per_thread: Vec<Vec<u32>>,
    /// The event index where each thread exited, if it did.
    pub exit_at: Vec<Option<u32>>,
    /// Ascending by `open`.
    pub windows: Vec<Window>,
    /// The most events any window spans.
    pub longest_window: u32,
    /// Sorted by `from`.
    pub arrows: Vec<Arrow>,
    /// The longest arrow, so a view can find every arrow crossing it.
    pub longest_arrow: u32,
    /// Event indices where the running thread changed, with `true` for a preemption.
    pub switches: Vec<(u32, bool)>,
    /// Events with a glyph of their own (see [`has_glyph`]), ascending.
    pub specials: Vec<u32>,
    /// The first event of each class, indexed by `class as usize`.
    pub first: [Option<u32>; EventClass::ALL.len()],
    pub pyramid: Pyramid,
}

/// Classes drawn as a glyph of their own at any zoom: the landmarks, waits and exits.
/// Race windows are drawn as bands, intrusions and wake-ups as arrows.
pub fn has_glyph(c: EventClass) -> bool {
    (c.is_landmark() && !matches!(c, EventClass::WindowOpen | EventClass::Intrusion | EventClass::Wake))
        || c.is_wait()
        || c == EventClass::Exit
}

#[derive(Default, Clone, Copy)]
struct Waits {
    sleeping: u64,
    spinning: u64,
}

impl Waits {
    /// Spinning starts at a Spin event and ends when the lock is taken; sleeping starts at
    /// a Sleep event and ends when the sleeper is woken, resumes, or gets its rwsem.
    fn apply(&mut self, e: &Event, class: EventClass) {
        let bit = 1u64 << e.tid.0;
        match (&e.kind, class) {
            (_, EventClass::Spin) => self.spinning |= bit,
            (_, EventClass::Sleep) => self.sleeping |= bit,
            (EventKind::LockAcquire { .. } | EventKind::RwsemAcquire { .. }, _) => {
                self.spinning &= !bit;
                self.sleeping &= !bit;
            }
            (EventKind::WaitEnd { .. }, _) => self.sleeping &= !bit,
            (EventKind::Wake { woken, .. }, _) => self.sleeping &= !woken.0,
            _ => {}
        }
    }
}

impl TraceIndex {
    pub fn build(events: &[Event], analysis: &Analysis, threads: usize, step_switches: &[(u32, bool)]) -> Self {
        let n = events.len();
        let mut ix = TraceIndex {
            threads,
            tid: Vec::with_capacity(n),
            class: analysis.classes(events),
            holder: Vec::with_capacity(n),
            sleeping: Vec::with_capacity(n),
            spinning: Vec::with_capacity(n),
            per_thread: vec![Vec::new(); threads],
            exit_at: vec![None; threads],
            windows: Vec::new(),
            longest_window: 0,
            arrows: Vec::new(),
            longest_arrow: 0,
            switches: Vec::new(),
            specials: Vec::new(),
            first: [None; EventClass::ALL.len()],
            pyramid: Pyramid::default(),
        };
        let mut holder = NO_THREAD;
        let mut waits = Waits::default();
        for (i, e) in events.iter().enumerate() {
            let t = e.tid.0;
            let c = ix.class[i];
            match &e.kind {
                EventKind::LockAcquire { lock: LockId::TreeLock } => holder = t,
                EventKind::LockRelease { lock: LockId::TreeLock } => holder = NO_THREAD,
                EventKind::ThreadExit { .. } => {
                    if let Some(x) = ix.exit_at.get_mut(e.tid.index()) {
                        *x = Some(i as u32);
                    }
                }
                _ => {}
            }
            waits.apply(e, c);
            ix.first[c as usize].get_or_insert(i as u32);
            if has_glyph(c) {
                ix.specials.push(i as u32);
            }
            ix.tid.push(t);
            ix.holder.push(holder);
            ix.sleeping.push(waits.sleeping);
            ix.spinning.push(waits.spinning);
            if let Some(v) = ix.per_thread.get_mut(e.tid.index()) {
                v.push(i as u32);
            }
        }
        ix.place_annotations(events, analysis);
        ix.place_switches(events, step_switches);
        ix.pyramid = Pyramid::build(&ix.tid, &ix.holder, &ix.sleeping, &ix.spinning);
        ix
    }

    /// The first event of class `c`.
    pub fn first_of(&self, c: EventClass) -> Option<usize> {
        self.first[c as usize].map(|i| i as usize)
    }

    pub fn len(&self) -> usize {
        self.tid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tid.is_empty()
    }

    /// First event index of `step` or later.
    fn first_of_step(events: &[Event], step: u32) -> usize {
        events.partition_point(|e| e.step < step)
    }

    /// The event of thread `tid` in `step` that satisfies `pred`.
    fn find_in_step(events: &[Event], step: u32, tid: u8, pred: impl Fn(&EventKind) -> bool) -> Option<u32> {
        let start = Self::first_of_step(events, step);
        events[start..]
            .iter()
            .take_while(|e| e.step == step)
            .position(|e| e.tid.0 == tid && pred(&e.kind))
            .map(|p| (start + p) as u32)
    }

    /// The next event of `tid` after `from` that satisfies `pred`.
    fn next_of_thread(&self, events: &[Event], tid: u8, from: u32, pred: impl Fn(&EventKind) -> bool) -> Option<u32> {
        let list = self.per_thread.get(usize::from(tid))?;
        let start = list.partition_point(|&i| i <= from);
        list[start..].iter().copied().find(|&i| pred(&events[i as usize].kind))
    }

    fn place_annotations(&mut self, events: &[Event], a: &Analysis) {
        use EventKind as E;
        let release = |k: &EventKind| matches!(k, E::LockRelease { lock: LockId::TreeLock });
        let acquire = |k: &EventKind| matches!(k, E::LockAcquire { lock: LockId::TreeLock });
        for w in &a.windows {
            let Some(open) = Self::find_in_step(events, w.open, w.tid.0, release) else { continue };
            let close = w
                .close
                .and_then(|s| Self::find_in_step(events, s, w.tid.0, acquire))
                .unwrap_or(events.len().saturating_sub(1) as u32);
            let intruders: Vec<u32> = w
                .intruders
                .iter()
                .filter_map(|x| {
                    Self::find_in_step(events, x.step, x.tid.0, |k| matches!(k, E::Insert { err: None, .. }))
                })
                .collect();
            self.windows.push(Window { tid: w.tid.0, index: w.index, open, close, intruders });
        }
        self.windows.sort_by_key(|w| w.open);
        self.longest_window = self.windows.iter().map(|w| w.close.saturating_sub(w.open) + 1).max().unwrap_or(0);
        for x in &a.eexist {
            let want = match x.kind {
                EexistKind::Actual => EventClass::Eexist,
                EexistKind::Counterfactual => EventClass::Counterfactual,
            };
            let is_hit = |k: &EventKind| EventClass::of(k) == want;
            let (Some(cause), Some(to)) = (&x.cause, Self::find_in_step(events, x.step, x.tid.0, is_hit)) else {
                continue;
            };
            if let Some(from) = Self::find_in_step(events, cause.step, cause.tid.0, |k| matches!(k, E::Insert { .. })) {
                self.arrows.push(Arrow { from, to, kind: ArrowKind::Intrusion });
            }
        }
        for h in &a.handoffs {
            let from = Self::find_in_step(events, h.released, h.from.0, |k| matches!(k, E::LockRelease { .. }));
            let to = Self::find_in_step(events, h.acquired, h.to.0, |k| matches!(k, E::LockAcquire { .. }));
            if let (Some(from), Some(to)) = (from, to) {
                self.arrows.push(Arrow { from, to, kind: ArrowKind::Handoff });
            }
        }
        for w in &a.wakeups {
            let Some(from) = Self::find_in_step(events, w.step, w.waker.0, |k| matches!(k, E::Wake { .. })) else {
                continue;
            };
            for t in &w.woken {
                if let Some(to) = self.next_of_thread(events, t.0, from, |k| matches!(k, E::WaitEnd { .. })) {
                    self.arrows.push(Arrow { from, to, kind: ArrowKind::Wake });
                }
            }
        }
        self.arrows.sort_by_key(|a| (a.from, a.to));
        self.longest_arrow = self.arrows.iter().map(|a| a.to.abs_diff(a.from)).max().unwrap_or(0);
    }

    fn place_switches(&mut self, events: &[Event], step_switches: &[(u32, bool)]) {
        self.switches = step_switches
            .iter()
            .map(|&(step, preempted)| (Self::first_of_step(events, step) as u32, preempted))
            .filter(|&(i, _)| (i as usize) < events.len())
            .collect();
    }

    /// The last event of `tid` before event index `pos` (exclusive).
    pub fn last_of_thread_before(&self, tid: usize, pos: usize) -> Option<usize> {
        let list = self.per_thread.get(tid)?;
        let k = list.partition_point(|&i| (i as usize) < pos);
        k.checked_sub(1).map(|k| list[k] as usize)
    }

    /// Arrows that may cross the event range `[lo, hi)`.
    pub fn arrows_near(&self, lo: u32, hi: u32) -> &[Arrow] {
        let start = self.arrows.partition_point(|a| a.from + self.longest_arrow < lo);
        let end = self.arrows.partition_point(|a| a.from < hi);
        &self.arrows[start..end.max(start)]
    }
}
