//! The radix-tree calls fs/dax.c makes, as scheduling points on a tree_lock-protected root,
//! and radix_tree_preload(): fill this CPU's pool of nodes so that an insert made later
//! under tree_lock (an atomic context) cannot fail for lack of memory. It returns with
//! preemption disabled; the caller re-enables it with radix_tree_preload_end(). Each
//! thread runs on a CPU of its own, so the task's pool is its CPU's.

use super::{Found, Item, RADIX_TREE_PRELOAD_SIZE, TreeRoot};
use crate::check::Note;
use crate::kernel::Errno;
use crate::sim::{Choice, Cx};
use crate::trace::EventKind;
use std::future::Future;
use std::panic::Location;

impl Cx<'_> {
    /// `__radix_tree_lookup(root, index)`.
    #[track_caller]
    pub fn radix_tree_lookup<'a>(&'a self, root: &'a TreeRoot, index: u64) -> impl Future<Output = Option<Found>> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            let found = root.with(|t| t.lookup(index));
            self.emit(at, || EventKind::Lookup {
                index,
                found: found.map(|f| f.item),
                canonical: found.map(|f| f.first_index),
            });
            found
        }
    }

    /// `__radix_tree_insert(root, index, order, item)`. Nodes come from
    /// radix_tree_node_alloc(): a GFP_ATOMIC slab allocation, which in practice succeeds;
    /// only when a run injects allocation failures may it fail, and the node then comes
    /// from this CPU's preload pool — the reason radix_tree_preload() filled it. An empty
    /// pool makes the insert fail with -ENOMEM.
    #[track_caller]
    pub fn radix_tree_insert<'a>(
        &'a self,
        root: &'a TreeRoot,
        index: u64,
        order: u32,
        item: Item,
    ) -> impl Future<Output = Result<(), Errno>> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            let (mut nodes, mut from_pool) = (0u32, 0u32);
            let mut alloc = || {
                let slab_fails = self.k.inject_enomem && self.choose(Choice::AtomicNodeAllocFails, 2) == 1;
                let ok = !slab_fails
                    || self.k.tasks.with(self.tid, |t| t.preload_nr.checked_sub(1).map(|n| t.preload_nr = n).is_some());
                nodes += u32::from(ok);
                from_pool += u32::from(ok && slab_fails);
                ok
            };
            let r = root.with(|t| t.insert_with(index, order, item, &mut alloc));
            self.emit(at, || EventKind::Insert { index, order, item, err: r.err(), nodes, from_pool });
            r
        }
    }

    /// `radix_tree_delete(root, index)`: removes the whole entry covering `index`.
    #[track_caller]
    pub fn radix_tree_delete<'a>(&'a self, root: &'a TreeRoot, index: u64) -> impl Future<Output = Option<Item>> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            let old = root.with(|t| t.delete(index));
            if let Some(item) = old {
                self.emit(at, || EventKind::Delete { index, item });
            }
            old
        }
    }

    /// `__radix_tree_replace()` of the entry covering `index`.
    #[track_caller]
    pub fn radix_tree_replace<'a>(
        &'a self,
        root: &'a TreeRoot,
        index: u64,
        new: Item,
    ) -> impl Future<Output = Option<Item>> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            let old = root.with(|t| t.replace(index, new));
            if let Some(old) = old {
                self.emit(at, || EventKind::Replace { index, old, new });
            }
            old
        }
    }

    /// `__radix_tree_replace()` through the slot where a lookup of `index` found nothing
    /// (see [`RadixTree::replace_at_walk_end`]); false past the tree's end.
    #[track_caller]
    pub fn radix_tree_replace_empty_slot<'a>(
        &'a self,
        root: &'a TreeRoot,
        index: u64,
        new: Item,
    ) -> impl Future<Output = bool> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            let stored = root.with(|t| t.replace_at_walk_end(index, new));
            if stored {
                self.emit(at, || EventKind::ReplaceEmptySlot { index, new });
            }
            stored
        }
    }

    /// `radix_tree_tag_set()`; returns false where the kernel would BUG (no entry).
    #[track_caller]
    pub fn radix_tree_tag_set<'a>(
        &'a self,
        root: &'a TreeRoot,
        index: u64,
        tag: u32,
    ) -> impl Future<Output = bool> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            let ok = root.with(|t| t.tag_set(index, tag));
            self.emit(at, || EventKind::TagSet { index, tag });
            ok
        }
    }

    #[track_caller]
    pub fn radix_tree_tag_clear<'a>(
        &'a self,
        root: &'a TreeRoot,
        index: u64,
        tag: u32,
    ) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            root.with(|t| t.tag_clear(index, tag));
            self.emit(at, || EventKind::TagClear { index, tag });
        }
    }

    #[track_caller]
    pub fn radix_tree_tag_get<'a>(
        &'a self,
        root: &'a TreeRoot,
        index: u64,
        tag: u32,
    ) -> impl Future<Output = bool> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            root.with(|t| t.tag_get(index, tag))
        }
    }
}

/// radix_tree_preload() / radix_tree_preload_end().
impl Cx<'_> {
    /// __radix_tree_preload(): with preemption disabled, look at this CPU's pool; only
    /// while it holds fewer than RADIX_TREE_PRELOAD_SIZE nodes does it allocate
    /// (kmem_cache_alloc() with a blocking gfp: it may sleep, and it is the only place the
    /// preload can fail). A full pool makes the preload a bare preempt_disable(): no
    /// scheduling point, no failure. Returns with preemption disabled on success.
    #[track_caller]
    pub fn radix_tree_preload<'a>(&'a self) -> impl Future<Output = Result<(), Errno>> + 'a {
        let at = Location::caller();
        async move {
            if self.k.tasks.get(self.tid).preload_nr < RADIX_TREE_PRELOAD_SIZE {
                self.might_sleep(at);
                self.sched(at).await;
                if self.k.inject_enomem && self.choose(Choice::PreloadEnomem, 2) == 1 {
                    // -ENOMEM with preemption enabled; nodes already pushed stay in the
                    // pool, which is still short (the model fails the first allocation).
                    self.emit(at, || EventKind::Preload { ok: false, pool: self.k.tasks.get(self.tid).preload_nr });
                    self.note(Note::Enomem);
                    return Err(Errno::Enomem);
                }
                self.k.tasks.with(self.tid, |t| t.preload_nr = RADIX_TREE_PRELOAD_SIZE);
            }
            let pool = self.k.tasks.with(self.tid, |t| {
                t.preempt_count += 1;
                t.preload_nr
            });
            self.emit(at, || EventKind::Preload { ok: true, pool });
            Ok(())
        }
    }

    /// Re-enables preemption. Touches only this CPU's state: no scheduling point.
    #[track_caller]
    pub fn radix_tree_preload_end(&self) {
        let at = Location::caller();
        self.k.tasks.with(self.tid, |t| t.preempt_count = t.preempt_count.saturating_sub(1));
        self.emit(at, || EventKind::PreloadEnd);
    }
}
