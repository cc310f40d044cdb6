//! The machine at the cursor, computed once per cursor move: the engine's snapshot after
//! the event just run and before it (to highlight what that event changed), and the call
//! stacks.

use crate::model::Loaded;
use crate::model::calls::Stacks;
use daxlab::analysis::Snapshot;
use daxlab::dax::dax_is_locked;
use daxlab::radix::{Item, NodeView};
use daxlab::trace::EventKind;
use std::collections::{BTreeMap, BTreeSet};

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

fn locked_entries(doc: &Loaded, pos: usize, entries: &BTreeMap<u64, (Item, u32, u8)>) -> Vec<LockedEntry> {
    entries
        .iter()
        .filter_map(|(first, (item, order, _))| match item {
            Item::Exceptional(v) if dax_is_locked(*v) => {
                Some((*first, *order, *v, entry_owner(doc, pos, *first, *order, *v)))
            }
            _ => None,
        })
        .collect()
}

fn entry_map(s: &Snapshot) -> BTreeMap<u64, (Item, u32, u8)> {
    s.tree.entries().into_iter().map(|(f, tags)| (f.first_index, (f.item, f.order, tags))).collect()
}

fn diff(prev: &Snapshot, snap: &Snapshot, b: &BTreeMap<u64, (Item, u32, u8)>) -> Changed {
    let a = entry_map(prev);
    let entries = a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)).copied().collect();
    let mut pmds = BTreeSet::new();
    for (mm, (pa, pb)) in prev.mms.iter().zip(&snap.mms).enumerate() {
        for k in pa.pmds.keys().chain(pb.pmds.keys()) {
            if pa.pmds.get(k) != pb.pmds.get(k) {
                pmds.insert((mm, *k));
            }
        }
    }
    let tasks = (0..snap.tasks.len()).filter(|&i| prev.tasks.get(i) != snap.tasks.get(i)).collect();
    Changed { entries, pmds, tree_lock: prev.tree_lock != snap.tree_lock, waiters: prev.waiters != snap.waiters, tasks }
}

impl Cached {
    pub fn compute(doc: &Loaded, pos: usize, generation: u64) -> Cached {
        let pos = pos.min(doc.len());
        let prev = doc.state_after(pos.saturating_sub(1));
        let mut snap = prev.clone();
        if let Some(e) = pos.checked_sub(1).and_then(|i| doc.events().get(i)) {
            snap.apply(e);
        }
        let entries = entry_map(&snap);
        let changed = if pos == 0 { Changed::default() } else { diff(&prev, &snap, &entries) };
        let stacks = doc.calls.at(doc.events(), pos);
        let nodes = snap.tree.view();
        let locked = locked_entries(doc, pos, &entries);
        Cached { pos, generation, snap, prev, stacks, changed, nodes, locked }
    }
}
