//! The figures' side of the palette (analysis::palette, on a white page), neutral ink and
//! fills, the mark an event class gets, and the short label an event gets in its thread's
//! column.

use super::scene::Rgba;
use crate::analysis::EventClass;
use crate::analysis::palette::{Ground, Hue, Rgb, thread_rgb};
use crate::mm::{PeSize, PmdKind};
use crate::radix::Item;
use crate::sim::ThreadEnd;
use crate::trace::{EventKind, describe};

const fn light(h: Hue) -> Rgba {
    let Rgb(r, g, b) = h.rgb(Ground::Light);
    Rgba::rgb(r, g, b)
}

pub const INK: Rgba = Rgba::rgb(0x22, 0x24, 0x2a);
pub const MUTED: Rgba = Rgba::rgb(0x6e, 0x72, 0x7c);
pub const FAINT: Rgba = Rgba::rgb(0xd8, 0xda, 0xe0);
pub const ZEBRA: Rgba = Rgba::rgb(0xf6, 0xf7, 0xf9);
pub const PMD_FILL: Rgba = Rgba::rgb(0xe6, 0xdc, 0xf7);
pub const PTE_FILL: Rgba = Rgba::rgb(0xd6, 0xef, 0xec);
pub const PAGE_FILL: Rgba = Rgba::rgb(0xf1, 0xec, 0xcf);

pub const EEXIST: Rgba = light(Hue::Eexist);
pub const COUNTERFACTUAL: Rgba = light(Hue::Counterfactual);
pub const BUG: Rgba = light(Hue::Bug);
pub const RESTART: Rgba = light(Hue::Restart);
pub const FALLBACK: Rgba = light(Hue::Fallback);
pub const TREE_LOCK: Rgba = light(Hue::TreeLock);
pub const ENTRY_LOCK: Rgba = light(Hue::EntryLock);
pub const WINDOW: Rgba = light(Hue::Window).alpha(0x48);
pub const WINDOW_QUIET: Rgba = light(Hue::Window).alpha(0x22);
pub const WINDOW_EDGE: Rgba = light(Hue::WindowEdge);
pub const WAKE: Rgba = light(Hue::Wake);
pub const SLEEP: Rgba = light(Hue::Wait);
pub const CHANGED: Rgba = light(Hue::Changed);

pub fn thread(tid: usize) -> Rgba {
    let Rgb(r, g, b) = thread_rgb(tid, Ground::Light);
    Rgba::rgb(r, g, b)
}

/// The colour of an event's mark and caption: its class's hue for a landmark, ink
/// otherwise.
pub fn class_color(c: EventClass) -> Rgba {
    match c.hue() {
        Some(h) if c.is_landmark() => light(h),
        _ => INK,
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
