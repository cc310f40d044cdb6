//! The radix-tree calls fs/dax.c makes, as scheduling points on a tree_lock-protected root.

use super::{Found, Item, RadixTree};
use crate::kernel::{Errno, Shared};
use crate::sim::Cx;
use crate::trace::EventKind;
use std::future::Future;
use std::panic::Location;

/// `struct radix_tree_root` behind the lock that protects it (the mapping's tree_lock).
pub type TreeRoot = Shared<RadixTree>;

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

    /// `__radix_tree_insert(root, index, order, item)`.
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
            let r = root.with(|t| t.insert(index, order, item));
            self.emit(at, || EventKind::Insert { index, order, item, err: r.err() });
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
