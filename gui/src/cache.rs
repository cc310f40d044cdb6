//! The machine at the cursor, computed once per cursor move: the engine's snapshot after
//! the event just run and before it (to highlight what that event changed), and the call
//! stacks.

use crate::model::Loaded;
use crate::model::calls::Stacks;
use daxlab::analysis::Snapshot;
use daxlab::dax::dax_is_locked;
use daxlab::radix::{Item, NodeView, SlotView};
use daxlab::trace::EventKind;
use std::collections::BTreeSet;

/// What the event just run changed.
#[derive(Default, Debug)]
pub struct Changed {
    /// First indices of radix-tree entries that appeared, changed or went away.
    pub entries: BTreeSet<u64>,
    /// (process, PMD index) of page-table slots that changed.
    pub pmds: BTreeSet<(usize, u64)>,
    pub tree_lock: bool,
    pub waiters: bool,
    /// Threads whose task state (preemption, preload, sleep) changed.
    pub tasks: BTreeSet<usize>,
}

/// A locked DAX entry: first index, order, value, and the thread whose event locked it.
pub type LockedEntry = (u64, u32, u64, Option<usize>);

pub struct Cached {
    pub pos: usize,
    pub generation: u64,
    pub snap: Snapshot,
    pub prev: Snapshot,
    pub stacks: Stacks,
    pub changed: Changed,
    /// The tree's nodes as drawn.
    pub nodes: Vec<NodeView>,
    pub locked: Vec<LockedEntry>,
}

/// How far back to look for the event that locked an entry.
const OWNER_SEARCH: usize = 200_000;

/// The thread whose event last put the locked value `v` in the entry at `first`.
fn entry_owner(doc: &Loaded, pos: usize, first: u64, order: u32, v: u64) -> Option<usize> {
    let covers = |i: u64| i >= first && i < first + (1u64 << order);
    let lo = pos.saturating_sub(OWNER_SEARCH);
    doc.events()[lo..pos.min(doc.len())]
        .iter()
        .rev()
        .find(|e| match &e.kind {
            EventKind::Insert { index, item: Item::Exceptional(x), err: None, .. } => covers(*index) && *x == v,
            EventKind::Replace { index, new: Item::Exceptional(x), .. } => covers(*index) && *x == v,
            EventKind::EntryLock { index, entry } => covers(*index) && *entry == v,
            _ => false,
        })
        .map(|e| e.tid.index())
}

fn diff(prev: &Snapshot, snap: &Snapshot, event: &EventKind) -> Changed {
    let mut entries = BTreeSet::new();
    if let Some(i) = event.touched_index() {
        let (a, b) = (prev.tree.lookup(i), snap.tree.lookup(i));
        let tags = matches!(event, EventKind::TagSet { .. } | EventKind::TagClear { .. });
        if a != b || tags {
            entries.extend(a.iter().chain(b.iter()).map(|f| f.first_index));
        }
    }
    let mut pmds = BTreeSet::new();
    for (mm, (pa, pb)) in prev.mms.iter().zip(&snap.mms).enumerate() {
        if let Some(addr) = event.mm().filter(|m| usize::from(*m) == mm).and(pmd_addr(event)) {
            let k = addr >> daxlab::mm::PMD_SHIFT;
            if pa.pmds.get(&k) != pb.pmds.get(&k) {
                pmds.insert((mm, k));
            }
        }
    }
    let tasks = (0..snap.tasks.len()).filter(|&i| prev.tasks.get(i) != snap.tasks.get(i)).collect();
    Changed { entries, pmds, tree_lock: prev.tree_lock != snap.tree_lock, waiters: prev.waiters != snap.waiters, tasks }
}

/// The address a page-table event is about.
fn pmd_addr(kind: &EventKind) -> Option<u64> {
    use EventKind as E;
    match kind {
        E::PmdInstall { addr, .. }
        | E::PmdSplit { addr, .. }
        | E::PteTableAlloc { addr, .. }
        | E::PteInstall { addr, .. }
        | E::BadPmd { addr, .. }
        | E::Store { addr, .. } => Some(*addr),
        E::PteZap { start, .. } => Some(*start),
        _ => None,
    }
}

/// Locked DAX entries, read off the drawn nodes: a canonical slot whose value has the lock
/// bit, its order from the sibling slots that follow it.
fn locked_entries(doc: &Loaded, pos: usize, nodes: &[NodeView]) -> Vec<LockedEntry> {
    let mut out = Vec::new();
    for n in nodes {
        for (off, slot) in n.slots.iter().enumerate() {
            let SlotView::Item(Item::Exceptional(v)) = *slot else { continue };
            if !dax_is_locked(v) {
                continue;
            }
            let siblings = n.slots[off + 1..].iter().take_while(|s| **s == SlotView::Sibling(off as u8)).count();
            let order = n.shift + (siblings as u64 + 1).trailing_zeros();
            let first = n.first_index + ((off as u64) << n.shift);
            out.push((first, order, v, entry_owner(doc, pos, first, order, v)));
        }
    }
    out
}

impl Cached {
    pub fn compute(doc: &Loaded, pos: usize, generation: u64) -> Cached {
        let pos = pos.min(doc.len());
        let prev = doc.state_after(pos.saturating_sub(1));
        let mut snap = prev.clone();
        if let Some(e) = pos.checked_sub(1).and_then(|i| doc.events().get(i)) {
            snap.apply(e);
        }
        let changed = match pos.checked_sub(1) {
            Some(i) => diff(&prev, &snap, &doc.events()[i].kind),
            None => Changed::default(),
        };
        let stacks = doc.calls.at(doc.events(), pos);
        let nodes = snap.tree.view();
        let mut locked = locked_entries(doc, pos, &nodes);
        if let Some(Item::Exceptional(v)) = snap.tree.root_item().filter(|i| i.value().is_some_and(dax_is_locked)) {
            locked.push((0, 0, v, entry_owner(doc, pos, 0, 0, v)));
        }
        Cached { pos, generation, snap, prev, stacks, changed, nodes, locked }
    }
}
