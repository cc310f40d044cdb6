//! The kernel state at any step of a trace, rebuilt from the events.
//!
//! A [`Snapshot`] is captured from a machine once (the initial state) and then advanced by
//! applying each event's recorded effect with the engine's own data structures — the
//! radix tree's insert/delete/replace, the page tables' slots. Nothing here decides what
//! the kernel does; it only re-applies what the recording says was done. A test checks
//! that the snapshot rebuilt this way equals the one captured from the engine at every
//! step.

use crate::kernel::{LockId, Machine, TaskState, WaitKey, Waiter};
use crate::mm::{PMD_SIZE, PageTables, PmdKind, PmdSlot, Pte, PteKind};
use crate::radix::{Item, RadixTree};
use crate::sim::Tid;
use crate::trace::{Event, EventKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// Per-task state the inspector shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TaskView {
    pub preempt_count: u32,
    pub preload_nr: u32,
    pub state: TaskState,
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub tree: RadixTree,
    pub nrexceptional: i64,
    pub nrpages: i64,
    pub tree_lock: Option<Tid>,
    /// Holders of the fs fault lock: readers and writer.
    pub mmap_sem: (u32, Option<Tid>),
    pub i_rwsem: (u32, Option<Tid>),
    /// Wait-table queues in queue order, keyed by bucket.
    pub waiters: BTreeMap<u16, Vec<Waiter>>,
    pub tasks: Vec<TaskView>,
    pub mms: Vec<PageTables>,
    /// Hole pages that are locked, and by whom.
    pub page_locks: BTreeMap<u32, Tid>,
}

/// A comparable rendering of everything a snapshot holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SnapshotDigest {
    pub tree: Vec<crate::radix::NodeView>,
    pub root_item: Option<Item>,
    pub entries: Vec<(u64, u32, Item, u8)>,
    pub nrexceptional: i64,
    pub nrpages: i64,
    pub tree_lock: Option<Tid>,
    pub mmap_sem: (u32, Option<Tid>),
    pub i_rwsem: (u32, Option<Tid>),
    pub waiters: Vec<(u16, Vec<Waiter>)>,
    pub tasks: Vec<TaskView>,
    pub mms: Vec<(BTreeMap<u64, PmdSlot>, i64, [i64; 2])>,
    pub page_locks: Vec<(u32, Tid)>,
}

impl Snapshot {
    /// Reads the state straight from a machine.
    pub fn capture(k: &Machine) -> Snapshot {
        Snapshot {
            tree: k.mapping.page_tree.snapshot(),
            nrexceptional: k.mapping.nrexceptional(),
            nrpages: k.mapping.nrpages(),
            tree_lock: k.mapping.tree_lock.holder(),
            mmap_sem: k.inode.mmap_sem.holders(),
            i_rwsem: k.inode.i_rwsem.holders(),
            waiters: k.wait_table.snapshot().into_iter().collect(),
            tasks: k
                .tasks
                .snapshot()
                .into_iter()
                .map(|t| TaskView { preempt_count: t.preempt_count, preload_nr: t.preload_nr, state: t.state })
                .collect(),
            mms: k.mms.iter().map(|m| m.pt.snapshot()).collect(),
            page_locks: k
                .pages
                .snapshot()
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.locked_by.map(|t| (i as u32, t)))
                .collect(),
        }
    }

    pub fn digest(&self) -> SnapshotDigest {
        SnapshotDigest {
            tree: self.tree.view(),
            root_item: self.tree.root_item(),
            entries: self.tree.entries().into_iter().map(|(f, tags)| (f.first_index, f.order, f.item, tags)).collect(),
            nrexceptional: self.nrexceptional,
            nrpages: self.nrpages,
            tree_lock: self.tree_lock,
            mmap_sem: self.mmap_sem,
            i_rwsem: self.i_rwsem,
            waiters: self.waiters.iter().map(|(b, w)| (*b, w.clone())).collect(),
            tasks: self.tasks.clone(),
            mms: self.mms.iter().map(|p| (p.pmds.clone(), p.nr_ptes, p.rss)).collect(),
            page_locks: self.page_locks.iter().map(|(p, t)| (*p, *t)).collect(),
        }
    }

    fn rwsem(&mut self, lock: LockId) -> Option<&mut (u32, Option<Tid>)> {
        match lock {
            LockId::MmapSem => Some(&mut self.mmap_sem),
            LockId::IRwsem => Some(&mut self.i_rwsem),
            LockId::TreeLock | LockId::IPages => None,
        }
    }

    fn task(&mut self, tid: Tid) -> &mut TaskView {
        let i = tid.index();
        if self.tasks.len() <= i {
            self.tasks.resize(i + 1, TaskView::default());
        }
        &mut self.tasks[i]
    }

    fn dequeue(&mut self, tid: Tid, key: WaitKey) {
        if let Some(q) = self.waiters.get_mut(&key.bucket()) {
            q.retain(|w| w.tid != tid);
            if q.is_empty() {
                self.waiters.remove(&key.bucket());
            }
        }
    }

    /// Re-applies what one event records.
    pub fn apply(&mut self, e: &Event) {
        use EventKind as E;
        match &e.kind {
            // Spin locks: tree_lock, and the XArray's xa_lock(i_pages) (whose holder the
            // snapshot does not show yet); either disables preemption while held.
            E::LockAcquire { lock } => {
                if *lock == LockId::TreeLock {
                    self.tree_lock = Some(e.tid);
                }
                self.task(e.tid).preempt_count += 1;
            }
            E::LockRelease { lock } => {
                if *lock == LockId::TreeLock {
                    self.tree_lock = None;
                }
                let t = self.task(e.tid);
                t.preempt_count = t.preempt_count.saturating_sub(1);
            }
            E::RwsemAcquire { lock, write } => {
                if let Some(s) = self.rwsem(*lock) {
                    if *write { s.1 = Some(e.tid) } else { s.0 += 1 }
                }
            }
            E::RwsemRelease { lock, write } => {
                if let Some(s) = self.rwsem(*lock) {
                    if *write { s.1 = None } else { s.0 = s.0.saturating_sub(1) }
                }
            }
            E::EntryLock { index, entry } | E::EntryUnlock { index, entry } => {
                self.tree.replace(*index, Item::Exceptional(*entry));
            }
            E::WaitBegin { key, exclusive, .. } => {
                let q = self.waiters.entry(key.bucket()).or_default();
                if !q.iter().any(|w| w.tid == e.tid) {
                    q.push(Waiter { tid: e.tid, key: *key, exclusive: *exclusive });
                }
                self.task(e.tid).state = TaskState::Uninterruptible;
            }
            E::WaitEnd { key } => {
                self.dequeue(e.tid, *key);
                self.task(e.tid).state = TaskState::Running;
            }
            E::Wake { key, woken, .. } => {
                for t in woken.iter() {
                    self.dequeue(t, *key);
                    self.task(t).state = TaskState::Running;
                }
            }
            E::Preload { ok: true, pool } => {
                let t = self.task(e.tid);
                t.preload_nr = *pool;
                t.preempt_count += 1;
            }
            E::PreloadEnd => {
                let t = self.task(e.tid);
                t.preempt_count = t.preempt_count.saturating_sub(1);
            }
            E::Insert { index, order, item, err, nodes, from_pool } => {
                // A failed insert is replayed too: __radix_tree_create() may already have
                // grown the tree before insert_entries() found the slot taken (or a node
                // could not be allocated).
                let mut left = *nodes;
                let mut alloc = || left.checked_sub(1).map(|n| left = n).is_some();
                // What the recording says happened is applied even where the tree would
                // have answered otherwise (an edited file): the state shown is the file's,
                // and the replay check is what tells a reader the file is not true.
                let _ = self.tree.insert_with(*index, *order, *item, &mut alloc);
                let t = self.task(e.tid);
                t.preload_nr = t.preload_nr.saturating_sub(*from_pool);
                if err.is_none() && item.is_exceptional() {
                    self.nrexceptional += 1;
                }
            }
            E::Delete { index, item } => {
                self.tree.delete(*index);
                if item.is_exceptional() {
                    self.nrexceptional -= 1;
                }
            }
            E::Replace { index, new, .. } => {
                self.tree.replace(*index, *new);
            }
            E::ReplaceEmptySlot { index, new } => {
                self.tree.replace_at_walk_end(*index, *new);
            }
            E::TagSet { index, tag } => {
                self.tree.tag_set(*index, *tag);
            }
            E::TagClear { index, tag } => self.tree.tag_clear(*index, *tag),
            E::TagForWriteback { start, end, .. } => {
                self.tree.copy_tag_range(
                    *start,
                    *end,
                    crate::mm::WRITEBACK_TAG_BATCH,
                    crate::radix::PAGECACHE_TAG_DIRTY,
                    crate::radix::PAGECACHE_TAG_TOWRITE,
                );
            }
            E::PageLock { page } => {
                self.page_locks.insert(*page, e.tid);
            }
            E::PageUnlock { page } => {
                self.page_locks.remove(page);
            }
            E::PageCacheInsert { index, page, replaced } => {
                match replaced {
                    Some(_) => {
                        self.tree.replace(*index, Item::Page(*page));
                        self.nrexceptional -= 1;
                    }
                    None => {
                        let _ = self.tree.insert(*index, 0, Item::Page(*page));
                    }
                }
                self.nrpages += 1;
            }
            E::PageCacheDelete { index, .. } => {
                self.tree.delete(*index);
                self.nrpages -= 1;
            }
            _ => self.apply_page_tables(e),
        }
    }

    fn apply_page_tables(&mut self, e: &Event) {
        use EventKind as E;
        let Some(mm) = e.kind.mm() else { return };
        let Some(pt) = self.mms.get_mut(usize::from(mm)) else { return };
        match &e.kind {
            E::PmdInstall { addr, new, pfn, write, .. } => {
                let slot = match new {
                    PmdKind::HugeZero => PmdSlot::HugeZero { by: e.tid },
                    _ => PmdSlot::HugeDevmap { pfn: *pfn, write: *write, dirty: *write, by: e.tid },
                };
                pt.set(*addr, slot);
            }
            E::PmdSplit { addr, .. } => {
                pt.clear(*addr);
            }
            E::BadPmd { addr, .. } => {
                pt.overwrite(*addr, None);
            }
            E::PteTableAlloc { addr, populated: true, .. } => {
                let table = pt.new_table();
                pt.set(*addr, table);
                pt.nr_ptes += 1;
            }
            E::PteInstall { addr, pte, .. } => {
                let old = pt.pte(*addr);
                if let Some(PmdSlot::Table { ptes, .. }) = pt.slot_mut(*addr) {
                    ptes.insert(crate::mm::pte_index(*addr), *pte);
                }
                count_rss(pt, old, *pte);
            }
            E::OrphanPteInstall { addr, table, pte, .. } => {
                let index = crate::mm::pte_index(*addr);
                let old = pt.orphans.get(table).and_then(|t| t.get(&index)).copied();
                pt.orphans.entry(*table).or_default().insert(index, *pte);
                count_rss(pt, old, *pte);
            }
            E::PteZap { start, end, .. } => {
                let base = start & !(PMD_SIZE - 1);
                if let Some(PmdSlot::Table { ptes, .. }) = pt.slot_mut(*start) {
                    let mut file = 0;
                    ptes.retain(|idx, p| {
                        let a = base + (u64::from(*idx) << 12);
                        let hit = a >= *start && a <= *end && !matches!(p.kind, PteKind::Anon { .. });
                        file += i64::from(hit && matches!(p.kind, PteKind::File { .. }));
                        !hit
                    });
                    pt.rss[0] -= file;
                }
            }
            E::MmTeardown { .. } => {
                pt.teardown();
            }
            E::Store { addr, .. } => mark_dirty(pt, *addr),
            E::Mkclean { addr, huge, .. } => match pt.slot_mut(*addr) {
                Some(PmdSlot::HugeDevmap { write, dirty, .. }) if *huge => {
                    *write = false;
                    *dirty = false;
                }
                Some(PmdSlot::Table { ptes, .. }) if !*huge => {
                    if let Some(p) = ptes.get_mut(&crate::mm::pte_index(*addr)) {
                        p.write = false;
                        p.dirty = false;
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
}

/// The MMU sets the dirty bit of whatever mapping a store went through.
/// A PTE replaced `old`: the rss counters follow the kinds of page they map.
fn count_rss(pt: &mut PageTables, old: Option<Pte>, new: Pte) {
    for (p, delta) in [(old, -1), (Some(new), 1)] {
        match p.map(|p| p.kind) {
            Some(PteKind::File { .. }) => pt.rss[0] += delta,
            Some(PteKind::Anon { .. }) => pt.rss[1] += delta,
            _ => {}
        }
    }
}

fn mark_dirty(pt: &mut PageTables, addr: u64) {
    match pt.slot_mut(addr) {
        Some(PmdSlot::HugeDevmap { dirty, .. }) => *dirty = true,
        Some(PmdSlot::Table { ptes, .. }) => {
            if let Some(p) = ptes.get_mut(&crate::mm::pte_index(addr)) {
                p.dirty = true;
            }
        }
        _ => {}
    }
}
