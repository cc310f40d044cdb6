//! Removing DAX entries: dax_delete_mapping_entry() for truncate and punch hole, and the
//! two invalidation variants the page cache calls for exceptional entries.

use super::dax_wake_mapping_entry_waiter;
use super::entry::*;
use super::locking::{get_unlocked_mapping_entry, put_unlocked_mapping_entry};
use crate::check::Invariant;
use crate::fs::AddressSpace;
use crate::radix::{Item, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE};
use crate::sim::Cx;
use crate::trace::Func;
use crate::trace::{EventKind, KeepReason};
use std::panic::Location;

/// __dax_invalidate_mapping_entry(): wait for the entry at `index` to be unlocked, then
/// delete it — unless this is an invalidation (`trunc` false) and fsync still has to flush
/// it. Either way the wake-one baton taken while waiting is passed on, under tree_lock.
async fn __dax_invalidate_mapping_entry(cx: &Cx<'_>, mapping: &AddressSpace, index: u64, trunc: bool) -> bool {
    let _f = cx.enter(Func::DaxInvalidateMappingEntryInner);
    let at = Location::caller();
    let tree = &mapping.page_tree;
    cx.spin_lock_irq(&mapping.tree_lock).await;
    let entry = get_unlocked_mapping_entry(cx, mapping, index).await;
    let mut ret = false;
    if let Some(Item::Exceptional(_)) = entry {
        let dirty = !trunc
            && (cx.radix_tree_tag_get(tree, index, PAGECACHE_TAG_DIRTY).await
                || cx.radix_tree_tag_get(tree, index, PAGECACHE_TAG_TOWRITE).await);
        if dirty {
            cx.emit(at, || EventKind::InvalidateKeep { index, reason: KeepReason::Dirty });
        } else {
            cx.radix_tree_delete(tree, index).await;
            mapping.add_nrexceptional(-1);
            ret = true;
        }
    }
    if let Some(e) = entry {
        put_unlocked_mapping_entry(cx, mapping, index, e).await;
    }
    cx.spin_unlock_irq(&mapping.tree_lock).await;
    ret
}

/// dax_delete_mapping_entry(): called from truncate and punch hole, whose caller holds the
/// filesystem's fault lock exclusively, so nothing can have removed the entry it saw:
/// WARN_ON_ONCE if it is gone.
pub async fn dax_delete_mapping_entry(cx: &Cx<'_>, mapping: &AddressSpace, index: u64) -> bool {
    let _f = cx.enter(Func::DaxDeleteMappingEntry);
    let at = Location::caller();
    let ret = __dax_invalidate_mapping_entry(cx, mapping, index, true).await;
    if !ret {
        cx.warn(at, Invariant::DeleteMissingEntry { index });
    }
    ret
}

/// dax_invalidate_mapping_entry_sync(): delete the entry if it is clean (waiting for it
/// to be unlocked first). For invalidate_inode_pages2_range().
pub async fn dax_invalidate_mapping_entry_sync(cx: &Cx<'_>, mapping: &AddressSpace, index: u64) -> bool {
    let _f = cx.enter(Func::DaxInvalidateMappingEntrySync);
    __dax_invalidate_mapping_entry(cx, mapping, index, false).await
}

/// dax_invalidate_mapping_entry(): the non-blocking variant for invalidate_mapping_pages()
/// (v4.10 and v4.11 only). A locked or dirty entry stays; a clean one is deleted and every
/// waiter on its key woken. Nothing checks whether page tables still map it: "dax: prevent
/// invalidation of mapped DAX entries" removes this function in 4.12.
pub async fn dax_invalidate_mapping_entry(cx: &Cx<'_>, mapping: &AddressSpace, index: u64) -> bool {
    let _f = cx.enter(Func::DaxInvalidateMappingEntry);
    let at = Location::caller();
    let tree = &mapping.page_tree;
    cx.spin_lock_irq(&mapping.tree_lock).await;
    let entry = cx.radix_tree_lookup(tree, index).await.map(|f| f.item);
    let mut deleted = None;
    if let Some(Item::Exceptional(value)) = entry {
        if dax_is_locked(value) {
            cx.emit(at, || EventKind::InvalidateKeep { index, reason: KeepReason::Locked });
        } else if cx.radix_tree_tag_get(tree, index, PAGECACHE_TAG_DIRTY).await
            || cx.radix_tree_tag_get(tree, index, PAGECACHE_TAG_TOWRITE).await
        {
            cx.emit(at, || EventKind::InvalidateKeep { index, reason: KeepReason::Dirty });
        } else {
            cx.radix_tree_delete(tree, index).await;
            mapping.add_nrexceptional(-1);
            deleted = Some(value);
        }
    }
    cx.spin_unlock_irq(&mapping.tree_lock).await;
    if let Some(value) = deleted {
        dax_wake_mapping_entry_waiter(cx, mapping, index, value, true).await;
    }
    deleted.is_some()
}
