//! What each event means for the race, decided once: the figures, the workbench and the
//! Perfetto export colour, label, count and navigate by [`EventClass`], and take colours
//! from the one [`palette`](super::palette).

use super::Analysis;
use super::palette::Hue;
use crate::kernel::{Errno, LockId};
use crate::sim::Tid;
use crate::trace::{Event, EventKind};
use std::collections::HashSet;

/// One class per event; the first rule that applies wins (an -EEXIST insert is `Eexist`,
/// not `TreeChange`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventClass {
    /// A modelled kernel function starts or returns.
    Call,
    /// A spin lock, rw-semaphore or hole page is taken or released.
    Lock,
    /// tree_lock dropped after finding nothing at the index: grab_mapping_entry()'s
    /// preload window opens (needs the analysis).
    WindowOpen,
    /// Spinning on a spin lock another thread holds: busy, not asleep.
    Spin,
    /// Asleep: on an entry lock in the wait table, or queued on an rw-semaphore.
    Sleep,
    /// A wake-up that reached a sleeper, or a sleeper resuming.
    Wake,
    /// A radix-tree lookup, or the fix's re-lookup finding nothing.
    Lookup,
    /// The tree changes: an insert, replace or delete, a hole page in or out.
    TreeChange,
    /// An insert inside another thread's open race window (needs the analysis).
    Intrusion,
    /// __radix_tree_insert() returned -EEXIST.
    Eexist,
    /// radix_tree_preload() or a node allocation failed: -ENOMEM.
    Enomem,
    /// The fix's re-lookup found an entry: where v4.11-rc5 would have got -EEXIST.
    Counterfactual,
    /// grab_mapping_entry() goes back to `restart:`.
    Restart,
    /// A PMD fault falls back to 4 KiB.
    Fallback,
    /// An invariant fired: the kernel's BUG or WARN.
    Bug,
    /// A PMD or PTE is installed, split, zapped or torn down.
    PageTable,
    /// A user load or store.
    Access,
    /// A page fault begins or ends.
    Fault,
    /// A thread's program ends.
    Exit,
    /// Everything else (iomap, tags, writeback, system calls, ...).
    Other,
}

impl EventClass {
    /// Every class, in declaration order (`as usize` indexes it).
    pub const ALL: [EventClass; 20] = [
        EventClass::Call,
        EventClass::Lock,
        EventClass::WindowOpen,
        EventClass::Spin,
        EventClass::Sleep,
        EventClass::Wake,
        EventClass::Lookup,
        EventClass::TreeChange,
        EventClass::Intrusion,
        EventClass::Eexist,
        EventClass::Enomem,
        EventClass::Counterfactual,
        EventClass::Restart,
        EventClass::Fallback,
        EventClass::Bug,
        EventClass::PageTable,
        EventClass::Access,
        EventClass::Fault,
        EventClass::Exit,
        EventClass::Other,
    ];

    /// The class of an event from its kind alone (a lock release or an insert may be
    /// refined by the analysis: see [`Analysis::class`]).
    pub fn of(kind: &EventKind) -> EventClass {
        use EventKind as E;
        match kind {
            E::Enter { .. } | E::Exit { .. } => EventClass::Call,
            E::ThreadExit { .. } => EventClass::Exit,
            E::Bug { .. } => EventClass::Bug,
            E::LockContended { .. } => EventClass::Spin,
            E::WaitBegin { .. } | E::RwsemContended { .. } => EventClass::Sleep,
            E::Wake { woken, .. } if !woken.is_empty() => EventClass::Wake,
            E::WaitEnd { .. } => EventClass::Wake,
            E::LockAcquire { .. }
            | E::LockRelease { .. }
            | E::RwsemAcquire { .. }
            | E::RwsemRelease { .. }
            | E::PageLock { .. }
            | E::PageUnlock { .. } => EventClass::Lock,
            E::Insert { err: Some(Errno::Eexist), .. } => EventClass::Eexist,
            E::Insert { err: Some(Errno::Enomem), .. } | E::Preload { ok: false, .. } => EventClass::Enomem,
            E::Relookup { found: Some(_), .. } => EventClass::Counterfactual,
            E::Lookup { .. } | E::Relookup { .. } => EventClass::Lookup,
            E::Insert { err: None, .. }
            | E::Replace { .. }
            | E::ReplaceEmptySlot { .. }
            | E::Delete { .. }
            | E::PageCacheInsert { .. }
            | E::PageCacheDelete { .. } => EventClass::TreeChange,
            E::Restart { .. } => EventClass::Restart,
            E::Fallback { .. } => EventClass::Fallback,
            E::PmdInstall { .. }
            | E::PmdSplit { .. }
            | E::PteInstall { .. }
            | E::PteTableAlloc { .. }
            | E::BadPmd { .. }
            | E::PteZap { .. }
            | E::MmTeardown { .. } => EventClass::PageTable,
            E::Store { .. } | E::Load { .. } => EventClass::Access,
            E::FaultBegin { .. } | E::FaultDone { .. } => EventClass::Fault,
            _ => EventClass::Other,
        }
    }

    /// The landmarks of a race: drawn large and captioned in colour in figures, given
    /// their own glyph in the workbench's timeline, marked in the Perfetto export.
    pub fn is_landmark(self) -> bool {
        matches!(
            self,
            EventClass::Bug
                | EventClass::Eexist
                | EventClass::Counterfactual
                | EventClass::Restart
                | EventClass::Fallback
                | EventClass::Enomem
                | EventClass::WindowOpen
                | EventClass::Intrusion
                | EventClass::Wake
        )
    }

    /// A thread waits here (spinning or asleep).
    pub fn is_wait(self) -> bool {
        matches!(self, EventClass::Spin | EventClass::Sleep)
    }

    /// Something another thread could notice happened (a lock, an entry, a page table, a
    /// wait, a failure): where the workbench's "run to its next …" stops.
    pub fn is_visible_to_others(self) -> bool {
        !matches!(
            self,
            EventClass::Call | EventClass::Lookup | EventClass::Access | EventClass::Fault | EventClass::Other
        )
    }

    /// A short name for marks and legends.
    pub fn label(self) -> &'static str {
        match self {
            EventClass::Call => "call",
            EventClass::Lock => "lock",
            EventClass::WindowOpen => "race window opens",
            EventClass::Spin => "spins",
            EventClass::Sleep => "sleeps",
            EventClass::Wake => "wake-up",
            EventClass::Lookup => "lookup",
            EventClass::TreeChange => "tree change",
            EventClass::Intrusion => "insert inside another's window",
            EventClass::Eexist => "-EEXIST",
            EventClass::Enomem => "-ENOMEM",
            EventClass::Counterfactual => "re-lookup finds the entry",
            EventClass::Restart => "restart",
            EventClass::Fallback => "fallback to 4 KiB",
            EventClass::Bug => "BUG",
            EventClass::PageTable => "page table",
            EventClass::Access => "access",
            EventClass::Fault => "fault",
            EventClass::Exit => "exit",
            EventClass::Other => "other",
        }
    }

    /// The colour that says what this class means, if it has one of its own.
    pub fn hue(self) -> Option<Hue> {
        Some(match self {
            EventClass::Bug => Hue::Bug,
            EventClass::Eexist => Hue::Eexist,
            EventClass::Enomem => Hue::Enomem,
            EventClass::Counterfactual => Hue::Counterfactual,
            EventClass::Restart => Hue::Restart,
            EventClass::Fallback => Hue::Fallback,
            EventClass::Wake => Hue::Wake,
            EventClass::Spin | EventClass::Sleep => Hue::Wait,
            EventClass::WindowOpen | EventClass::Intrusion => Hue::WindowEdge,
            EventClass::Lock => Hue::TreeLock,
            _ => return None,
        })
    }
}

impl Analysis {
    /// The class of `e`, an event of the analysed trace: [`EventClass::of`], with a
    /// tree_lock release that opens a race window and an insert that lands in another
    /// thread's open window told apart.
    pub fn class(&self, e: &Event) -> EventClass {
        let opens = |t: Tid, s: u32| self.windows.iter().any(|w| w.open == s && w.tid == t);
        let intrudes =
            |t: Tid, s: u32| self.windows.iter().any(|w| w.intruders.iter().any(|i| i.step == s && i.tid == t));
        refine(e, opens, intrudes)
    }

    /// [`Analysis::class`] of every event of the analysed trace, in one pass.
    pub fn classes(&self, events: &[Event]) -> Vec<EventClass> {
        let opens: HashSet<(Tid, u32)> = self.windows.iter().map(|w| (w.tid, w.open)).collect();
        let intrusions: HashSet<(Tid, u32)> =
            self.windows.iter().flat_map(|w| w.intruders.iter().map(|i| (i.tid, i.step))).collect();
        events.iter().map(|e| refine(e, |t, s| opens.contains(&(t, s)), |t, s| intrusions.contains(&(t, s)))).collect()
    }
}

fn refine(e: &Event, opens: impl Fn(Tid, u32) -> bool, intrudes: impl Fn(Tid, u32) -> bool) -> EventClass {
    match EventClass::of(&e.kind) {
        EventClass::Lock
            if matches!(e.kind, EventKind::LockRelease { lock: LockId::TreeLock }) && opens(e.tid, e.step) =>
        {
            EventClass::WindowOpen
        }
        EventClass::TreeChange if matches!(e.kind, EventKind::Insert { .. }) && intrudes(e.tid, e.step) => {
            EventClass::Intrusion
        }
        c => c,
    }
}
