//! DAX radix-tree entry locking. The entry lock is a bit in the entry itself, set and
//! cleared only under tree_lock; sleepers wait in the hashed wait table, keyed by
//! (mapping, first index of the entry), so all 512 indices of a PMD entry share one key.

use super::entry::*;
use crate::check::Invariant;
use crate::fs::AddressSpace;
use crate::kernel::{WaitKey, WaitOn};
use crate::radix::Item;
use crate::sim::Cx;
use crate::trace::EventKind;
use crate::trace::Func;
use std::panic::Location;

/// dax_entry_waitqueue(): the wait key for `index` as seen through `entry`. Waker and
/// waiter must agree on "PMD or not", or the wake-up misses.
pub fn dax_entry_waitqueue(mapping: &AddressSpace, index: u64, entry: u64) -> WaitKey {
    let index = if dax_is_pmd_entry(entry) { index & !((1u64 << PMD_ORDER) - 1) } else { index };
    WaitKey { mapping: mapping.addr, index }
}

/// get_unlocked_mapping_entry(), called and returning with tree_lock held: look `index`
/// up and, while it is a locked exceptional entry, sleep exclusively until woken and look
/// again. The caller owes the wait-queue baton back: put_unlocked_mapping_entry() if it
/// does not lock the entry, put_locked_mapping_entry() once it unlocks it.
pub async fn get_unlocked_mapping_entry(cx: &Cx<'_>, mapping: &AddressSpace, index: u64) -> Option<Item> {
    let _f = cx.enter(Func::GetUnlockedMappingEntry);
    loop {
        let entry = cx.radix_tree_lookup(&mapping.page_tree, index).await.map(|f| f.item);
        let Some(Item::Exceptional(value)) = entry else {
            return entry;
        };
        if !dax_is_locked(value) {
            return entry;
        }
        let key = dax_entry_waitqueue(mapping, index, value);
        cx.prepare_to_wait_exclusive(key);
        cx.spin_unlock_irq(&mapping.tree_lock).await;
        cx.schedule(WaitOn::Entry { key, bucket: key.bucket() }).await;
        cx.finish_wait(key);
        cx.spin_lock_irq(&mapping.tree_lock).await;
    }
}

/// lock_slot(): set the lock bit of the entry covering `index` (tree_lock held).
pub async fn lock_slot(cx: &Cx<'_>, mapping: &AddressSpace, index: u64) -> u64 {
    let at = Location::caller();
    cx.sched(at).await;
    let locked = mapping.page_tree.with(|t| {
        let value = t.lookup(index).and_then(|f| f.item.value()).unwrap_or(0) | RADIX_DAX_ENTRY_LOCK;
        t.replace(index, Item::Exceptional(value));
        value
    });
    cx.emit(at, || EventKind::EntryLock { index, entry: locked });
    locked
}

/// unlock_slot(): clear the lock bit of the entry covering `index` (tree_lock held).
async fn unlock_slot(cx: &Cx<'_>, mapping: &AddressSpace, index: u64) -> u64 {
    let at = Location::caller();
    cx.sched(at).await;
    let unlocked = mapping.page_tree.with(|t| {
        let value = t.lookup(index).and_then(|f| f.item.value()).unwrap_or(0) & !RADIX_DAX_ENTRY_LOCK;
        t.replace(index, Item::Exceptional(value));
        value
    });
    cx.emit(at, || EventKind::EntryUnlock { index, entry: unlocked });
    unlocked
}

/// dax_unlock_mapping_entry(): re-look-up `index` (the entry may have been replaced since
/// it was locked), unlock it, and wake one waiter on its key.
pub async fn dax_unlock_mapping_entry(cx: &Cx<'_>, mapping: &AddressSpace, index: u64) {
    let _f = cx.enter(Func::DaxUnlockMappingEntry);
    let at = Location::caller();
    cx.spin_lock_irq(&mapping.tree_lock).await;
    let found = cx.radix_tree_lookup(&mapping.page_tree, index).await.map(|f| f.item);
    let entry = match found {
        Some(Item::Exceptional(v)) if dax_is_locked(v) => v,
        _ => {
            cx.warn(at, Invariant::UnlockNotLocked { index, found });
            cx.spin_unlock_irq(&mapping.tree_lock).await;
            return;
        }
    };
    unlock_slot(cx, mapping, index).await;
    cx.spin_unlock_irq(&mapping.tree_lock).await;
    dax_wake_mapping_entry_waiter(cx, mapping, index, entry, false).await;
}

/// put_locked_mapping_entry(): a hole page is unlocked and released; a DAX entry goes
/// through dax_unlock_mapping_entry().
pub async fn put_locked_mapping_entry(cx: &Cx<'_>, mapping: &AddressSpace, index: u64, entry: Item) {
    let _f = cx.enter(Func::PutLockedMappingEntry);
    match entry {
        Item::Page(page) => {
            cx.unlock_page(page).await;
            cx.put_page(page);
        }
        Item::Exceptional(_) => dax_unlock_mapping_entry(cx, mapping, index).await,
    }
}

/// put_unlocked_mapping_entry(): we took the wake-one baton in
/// get_unlocked_mapping_entry() but did not lock the entry, so pass it to the next waiter.
pub async fn put_unlocked_mapping_entry(cx: &Cx<'_>, mapping: &AddressSpace, index: u64, entry: Item) {
    let _f = cx.enter(Func::PutUnlockedMappingEntry);
    if let Item::Exceptional(value) = entry {
        dax_wake_mapping_entry_waiter(cx, mapping, index, value, false).await;
    }
}

/// dax_wake_mapping_entry_waiter(): wake one (or all) waiters on the key `entry` implies
/// for `index`. The unlocked waitqueue_active() check is safe because every task that saw
/// the entry locked queued itself under tree_lock.
#[track_caller]
pub fn dax_wake_mapping_entry_waiter<'a>(
    cx: &'a Cx<'_>,
    mapping: &AddressSpace,
    index: u64,
    entry: u64,
    wake_all: bool,
) -> impl std::future::Future<Output = ()> + 'a {
    let key = dax_entry_waitqueue(mapping, index, entry);
    cx.wake_up_key(key, wake_all)
}
