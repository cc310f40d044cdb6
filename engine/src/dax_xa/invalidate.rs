//! Removing DAX entries: dax_delete_mapping_entry() for truncate and hole punch,
//! and dax_invalidate_mapping_entry_sync() for invalidate_inode_pages2_range().

use super::count_entry;
use super::entry::*;
use super::locking::{WakeMode, get_unlocked_entry, put_unlocked_entry};
use super::pages::dax_disassociate_entry;
use crate::check::Invariant;
use crate::fs::AddressSpace;
use crate::release::Fix;
use crate::sim::Cx;
use crate::trace::{EventKind, Func, KeepReason};
use crate::xarray::{PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE, XaState, xa_is_value};
use std::panic::Location;

/// __dax_invalidate_entry(): wait for the entry at `index` to be unlocked, then delete it
/// — unless this is an invalidation (`trunc` false) and fsync still has to flush it.
/// Either way the wake-up taken while waiting is passed on: to the next waiter until
/// v5.12, to all of them from v5.13 (237388320def), since after a deletion the next waiter
/// finds nothing, locks nothing and so wakes nobody.
async fn dax_invalidate_entry(cx: &Cx<'_>, mapping: &AddressSpace, index: u64, trunc: bool) -> bool {
    let _f = cx.enter(Func::DaxInvalidateEntry);
    let at = Location::caller();
    let root = &mapping.i_pages;
    let mut xas = XaState::new(index);
    cx.xa_lock_irq(root).await;
    let entry = get_unlocked_entry(cx, mapping, &mut xas, 0).await;
    let mut ret = false;
    if entry.is_some() && xa_is_value(entry) {
        let dirty = !trunc
            && (cx.xas_get_mark(root, &xas, PAGECACHE_TAG_DIRTY).await
                || cx.xas_get_mark(root, &xas, PAGECACHE_TAG_TOWRITE).await);
        if dirty {
            cx.emit(at, || EventKind::InvalidateKeep { index, reason: KeepReason::Dirty });
        } else {
            dax_disassociate_entry(cx, entry, trunc);
            cx.xas_store(root, &mut xas, None).await;
            count_entry(cx, mapping, dax_entry_order(entry), -1);
            ret = true;
        }
    }
    let mode = if cx.k.has(Fix::InvalidateWakeAll) { WakeMode::All } else { WakeMode::Next };
    put_unlocked_entry(cx, mapping, &xas, entry, mode).await;
    cx.xa_unlock_irq(root).await;
    ret
}

/// dax_delete_mapping_entry(): truncate and hole punch hold the fault lock exclusively, so
/// the entry their lookup saw must still be there: WARN_ON_ONCE if it is gone.
pub async fn dax_delete_mapping_entry(cx: &Cx<'_>, mapping: &AddressSpace, index: u64) -> bool {
    let _f = cx.enter(Func::DaxDeleteMappingEntry);
    let at = Location::caller();
    let ret = dax_invalidate_entry(cx, mapping, index, true).await;
    if !ret {
        cx.warn(at, Invariant::DeleteMissingEntry { index });
    }
    ret
}

/// dax_invalidate_mapping_entry_sync(): delete the entry if it is clean.
pub async fn dax_invalidate_mapping_entry_sync(cx: &Cx<'_>, mapping: &AddressSpace, index: u64) -> bool {
    dax_invalidate_entry(cx, mapping, index, false).await
}
