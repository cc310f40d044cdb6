//! Colours with one meaning each (the workbench's, darkened for a white page), the kind
//! of mark an event gets, and the short label an event gets in its thread's column.

use super::scene::Rgba;
use crate::analysis::{Analysis, EexistKind};
use crate::kernel::{Errno, LockId};
use crate::mm::{PeSize, PmdKind};
use crate::radix::Item;
use crate::sim::ThreadEnd;
use crate::trace::{Event, EventKind, describe};

pub const INK: Rgba = Rgba::rgb(0x22, 0x24, 0x2a);
pub const MUTED: Rgba = Rgba::rgb(0x6e, 0x72, 0x7c);
pub const FAINT: Rgba = Rgba::rgb(0xd8, 0xda, 0xe0);
pub const ZEBRA: Rgba = Rgba::rgb(0xf6, 0xf7, 0xf9);
pub const EEXIST: Rgba = Rgba::rgb(0xd6, 0x28, 0x2e);
pub const BUG: Rgba = Rgba::rgb(0xc0, 0x00, 0x18);
pub const COUNTERFACTUAL: Rgba = Rgba::rgb(0xe0, 0x6a, 0x55);
pub const RESTART: Rgba = Rgba::rgb(0x1f, 0x9a, 0x55);
pub const FALLBACK: Rgba = Rgba::rgb(0xd9, 0x82, 0x00);
pub const ENOMEM: Rgba = Rgba::rgb(0x8e, 0x4c, 0xd8);
pub const TREE_LOCK: Rgba = Rgba::rgb(0xe8, 0x83, 0x3a);
pub const ENTRY_LOCK: Rgba = Rgba::rgb(0x7b, 0x4f, 0xc4);
pub const WINDOW: Rgba = Rgba(0xff, 0xd8, 0x3a, 0x48);
pub const WINDOW_QUIET: Rgba = Rgba(0xff, 0xd8, 0x3a, 0x22);
pub const WINDOW_EDGE: Rgba = Rgba::rgb(0xd4, 0xa4, 0x00);
pub const WAKE: Rgba = Rgba::rgb(0x2f, 0x7f, 0xe0);
pub const SLEEP: Rgba = Rgba::rgb(0xa8, 0xac, 0xb4);
pub const CHANGED: Rgba = Rgba::rgb(0x00, 0xa8, 0xc0);
pub const PMD_FILL: Rgba = Rgba::rgb(0xe6, 0xdc, 0xf7);
pub const PTE_FILL: Rgba = Rgba::rgb(0xd6, 0xef, 0xec);
pub const PAGE_FILL: Rgba = Rgba::rgb(0xf1, 0xec, 0xcf);

const THREADS: [Rgba; 6] = [
    Rgba::rgb(0x2f, 0x6f, 0xdf),
    Rgba::rgb(0x8a, 0x4f, 0xe0),
    Rgba::rgb(0x14, 0x9a, 0x8c),
    Rgba::rgb(0xc8, 0x4a, 0x90),
    Rgba::rgb(0x6b, 0x8a, 0x1f),
    Rgba::rgb(0x4f, 0x6f, 0x94),
];

pub fn thread(tid: usize) -> Rgba {
    THREADS[tid % THREADS.len()]
}

/// What kind of mark an event gets.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    Plain,
    Bug,
    Eexist,
    /// The fix's re-lookup found the entry: the -EEXIST the unfixed kernel would get.
    Counterfactual,
    Restart,
    Fallback,
    Enomem,
    Sleep,
    Wake,
    /// A thread drops tree_lock and opens a race window.
    WindowOpen,
    /// An insert inside another thread's race window.
    Intrusion,
    Exit,
}

impl Mark {
    pub fn of(e: &Event, a: &Analysis) -> Mark {
        use EventKind as E;
        match &e.kind {
            E::Bug { .. } => Mark::Bug,
            E::Insert { err: Some(Errno::Eexist), .. } => Mark::Eexist,
            E::Insert { err: Some(Errno::Enomem), .. } | E::Preload { ok: false, .. } => Mark::Enomem,
            E::Relookup { found: Some(_), .. }
                if a.eexist.iter().any(|x| x.step == e.step && x.kind == EexistKind::Counterfactual) =>
            {
                Mark::Counterfactual
            }
            E::Restart { .. } => Mark::Restart,
            E::Fallback { .. } => Mark::Fallback,
            E::WaitBegin { .. } | E::LockContended { .. } | E::RwsemContended { .. } => Mark::Sleep,
            E::Wake { woken, .. } if !woken.is_empty() => Mark::Wake,
            E::LockRelease { lock: LockId::TreeLock }
                if a.windows.iter().any(|w| w.open == e.step && w.tid == e.tid) =>
            {
                Mark::WindowOpen
            }
            E::Insert { err: None, .. }
                if a.windows.iter().any(|w| w.intruders.iter().any(|i| i.step == e.step && i.tid == e.tid)) =>
            {
                Mark::Intrusion
            }
            E::ThreadExit { .. } => Mark::Exit,
            _ => Mark::Plain,
        }
    }

    /// The colour of the mark and of the caption.
    pub fn color(self) -> Rgba {
        match self {
            Mark::Bug => BUG,
            Mark::Eexist => EEXIST,
            Mark::Counterfactual => COUNTERFACTUAL,
            Mark::Restart => RESTART,
            Mark::Fallback => FALLBACK,
            Mark::Enomem => ENOMEM,
            Mark::Wake => WAKE,
            Mark::WindowOpen | Mark::Intrusion => WINDOW_EDGE,
            Mark::Sleep => MUTED,
            Mark::Plain | Mark::Exit => INK,
        }
    }

    /// Whether the mark is one of the race's landmarks (drawn large, captioned in colour).
    pub fn landmark(self) -> bool {
        !matches!(self, Mark::Plain | Mark::Sleep | Mark::Exit)
    }
}

fn item(i: &Item) -> String {
    match i {
        Item::Exceptional(v) => format!("{v:#x}"),
        Item::Page(p) => format!("page#{p}"),
    }
}

fn size(s: PeSize) -> &'static str {
    match s {
        PeSize::Pmd => "PMD",
        PeSize::Pte => "4 KiB",
    }
}

/// The short label of an event in its thread's column (the caption beside says it in full).
pub fn short_label(kind: &EventKind, names: &[String]) -> String {
    use EventKind as E;
    let opt = |f: &Option<Item>| f.as_ref().map_or("nothing".to_string(), item);
    match kind {
        E::LockAcquire { lock } => format!("spin_lock_irq({lock})"),
        E::LockRelease { lock } => format!("spin_unlock_irq({lock})"),
        E::LockContended { lock, .. } => format!("spins on {lock}"),
        E::Lookup { index, found, .. } => format!("lookup {index:#x} → {}", opt(found)),
        E::Relookup { index, found, .. } => format!("re-lookup {index:#x} → {}", opt(found)),
        E::EntryLock { index, entry } => format!("lock_slot {index:#x} → {entry:#x}"),
        E::EntryUnlock { index, entry } => format!("unlock_slot {index:#x} → {entry:#x}"),
        E::WaitBegin { key, .. } => format!("sleeps on entry {:#x}", key.index),
        E::Wake { key, all, .. } => format!("wake {} on {:#x}", if *all { "all" } else { "one" }, key.index),
        E::Preload { ok: true, .. } => "radix_tree_preload()".into(),
        E::Preload { ok: false, .. } => "radix_tree_preload() → -ENOMEM".into(),
        E::Insert { index, order, item: it, err: None, .. } => {
            format!("insert {index:#x} ({}) = {}", if *order == 0 { "4 KiB" } else { "PMD" }, item(it))
        }
        E::Insert { index, err: Some(e), .. } => format!("insert {index:#x} → {e}"),
        E::Delete { index, .. } => format!("radix_tree_delete {index:#x}"),
        E::Replace { index, new, .. } => format!("replace {index:#x} → {}", item(new)),
        E::TagSet { index, tag } => format!("tag {index:#x} {}", crate::radix::tag_name(*tag)),
        E::IomapBegin { pos, len, .. } => format!("iomap_begin({pos:#x}, {len:#x})"),
        E::FaultBegin { pgoff, size: s, write, .. } => {
            format!("{} {} fault, page {pgoff:#x}", size(*s), if *write { "write" } else { "read" })
        }
        E::FaultDone { size: s, result, .. } => format!("{} fault done: {result}", size(*s)),
        E::Fallback { .. } => "fallback to 4 KiB".into(),
        E::GrabReturn { result: Ok(i), .. } => format!("grab_mapping_entry → {}", item(i)),
        E::GrabReturn { result: Err(e), .. } => format!("grab_mapping_entry → {e}"),
        E::Restart { .. } => "goto restart".into(),
        E::PmdCheck { slot, .. } => format!("PMD slot: {slot}"),
        E::PmdInstall { new: PmdKind::HugeZero, .. } => "set_pmd_at(huge zero page)".into(),
        E::PmdInstall { .. } => "vmf_insert_pfn_pmd()".into(),
        E::PmdSplit { old, .. } => format!("split_huge_pmd clears {old}"),
        E::PteInstall { addr, .. } => format!("set PTE {:#x}", addr >> 12),
        E::Bug { invariant } => format!("BUG: {}", invariant.name()),
        E::ThreadExit { end: ThreadEnd::Exited } => "exits".into(),
        E::Store { value, .. } => format!("store {value:#x}"),
        E::Load { value, .. } => format!("load → {value:#x}"),
        other => describe(other, names),
    }
}
