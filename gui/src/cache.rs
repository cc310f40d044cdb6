//! The machine at the cursor, computed once per cursor move: the engine's snapshot after
//! the event just run and before it (to highlight what that event changed), and the call
//! stacks.

use crate::model::Loaded;
use crate::model::calls::Stacks;
use daxlab::analysis::Snapshot;
use daxlab::radix::Item;
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

pub struct Cached {
    pub pos: usize,
    pub generation: u64,
    pub snap: Snapshot,
    pub prev: Snapshot,
    pub stacks: Stacks,
    pub changed: Changed,
}

fn entry_map(s: &Snapshot) -> BTreeMap<u64, (Item, u32, u8)> {
    s.tree.entries().into_iter().map(|(f, tags)| (f.first_index, (f.item, f.order, tags))).collect()
}

fn diff(prev: &Snapshot, snap: &Snapshot) -> Changed {
    let (a, b) = (entry_map(prev), entry_map(snap));
    let entries = a.keys().chain(b.keys()).filter(|k| a.get(k) != b.get(k)).copied().collect();
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
        let changed = if pos == 0 { Changed::default() } else { diff(&prev, &snap) };
        let stacks = doc.calls.at(doc.events(), pos);
        Cached { pos, generation, snap, prev, stacks, changed }
    }
}
