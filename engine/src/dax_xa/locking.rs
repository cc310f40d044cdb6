//! DAX entry locking in the XArray era. The lock is DAX_LOCKED in the entry's value, set and
//! cleared by xas_store() under the xa_lock; sleepers wait in the hashed wait table keyed by
//! (&mapping->i_pages, index), the index aligned to its PMD only when the entry they saw is
//! a PMD entry. The index comes from the xa_state, the PMD-ness from the entry: a PMD fault
//! that finds a PTE entry waits on the PMD's first index, which the PTE entry's unlock never
//! wakes (the RocksDB hang, fixed by 23c84eb78375).
//!
//! Waiters are exclusive: a wake-up reaches one of them, which must pass it on — by
//! unlocking the entry it then locks (dax_unlock_entry()), or with put_unlocked_entry() if
//! it does not lock it. Whoever drops that baton leaves the others asleep.

use super::entry::*;
use crate::check::{Invariant, Note};
use crate::fs::AddressSpace;
use crate::kernel::{WaitKey, WaitOn};
use crate::release::Fix;
use crate::sim::Cx;
use crate::trace::Func;
use crate::xarray::{Entry, XaState, xa_is_internal, xa_is_value};
use std::panic::Location;

/// `enum dax_wake_mode` (v5.13; before it, dax_wake_entry()'s `bool wake_all`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WakeMode {
    All,
    Next,
}

/// dax_entry_waitqueue(): the key for the entry `entry` as seen through `xas`.
pub fn dax_entry_waitqueue(mapping: &AddressSpace, xas: &XaState, entry: Option<Entry>) -> WaitKey {
    let mut index = xas.xa_index();
    if dax_is_pmd_entry(entry) {
        index &= !PG_PMD_COLOUR;
    }
    WaitKey { mapping: mapping.i_pages_addr(), index }
}

/// dax_wake_entry(): wake one or all waiters on the key of `entry` (which may no longer be
/// in the array: it only says whether the entry was a PMD). The unlocked waitqueue_active()
/// test is safe because every task that saw the entry locked queued itself under the
/// xa_lock, which the caller's change of the entry also held.
pub async fn dax_wake_entry(cx: &Cx<'_>, mapping: &AddressSpace, xas: &XaState, entry: Option<Entry>, mode: WakeMode) {
    let key = dax_entry_waitqueue(mapping, xas, entry);
    cx.wake_up_key(key, mode == WakeMode::All).await;
}

/// get_unlocked_entry() (get_next_unlocked_entry() from v6.15), called and returning with
/// the xa_lock held: the entry the state covers, after sleeping until it is unlocked; for
/// a PMD-sized request, XA_RETRY_ENTRY ("conflict") when a smaller entry is in the range.
///
/// On a state already walked to a slot — inside an xas_for_each() loop — the lookup,
/// xas_find_conflict(), returns NULL at once, so callers there skip a locked entry instead
/// of waiting for it.
pub async fn get_unlocked_entry(cx: &Cx<'_>, mapping: &AddressSpace, xas: &mut XaState, order: u32) -> Option<Entry> {
    let _f = cx.enter(Func::GetUnlockedEntry);
    let at = Location::caller();
    let root = &mapping.i_pages;
    loop {
        let entry = if cx.k.has(Fix::HugePageFaults) {
            cx.xas_find_conflict(root, xas).await
        } else {
            // Before 0e40de0338d0: a PMD-order xas_load() stops at the shift-6 node and
            // reads only the slot of the range's first 64 indices; a node there comes back
            // as an internal entry.
            let e = cx.xas_load(root, xas).await;
            if xa_is_internal(e) {
                return e;
            }
            e
        };
        if let Some(conflict) = order_test(cx, entry, order, true) {
            return conflict;
        }
        if entry.is_none() {
            return entry;
        }
        if !xa_is_value(entry) {
            cx.warn(at, Invariant::Warn { what: format!("get_unlocked_entry found {entry:?}, not a value entry") });
            return entry;
        }
        if let Some(conflict) = order_test(cx, entry, order, false) {
            return conflict;
        }
        if !dax_is_locked(entry) {
            return entry;
        }
        let key = dax_entry_waitqueue(mapping, xas, entry);
        cx.prepare_to_wait_exclusive(key);
        cx.xa_unlock_irq(root).await;
        xas.reset();
        cx.schedule(WaitOn::Entry { key, bucket: key.bucket() }).await;
        cx.finish_wait(key);
        cx.xa_lock_irq(root).await;
    }
}

/// 23c84eb78375's `if (dax_entry_order(entry) < order) return XA_RETRY_ENTRY;`, placed
/// before the NULL test as first merged (`before_null`), after it from 6370740e5f8e.
fn order_test(cx: &Cx<'_>, entry: Option<Entry>, order: u32, before_null: bool) -> Option<Option<Entry>> {
    if !cx.k.has(Fix::MissedWakeupPmd) || cx.k.has(Fix::PmdPteConflict) == before_null {
        return None;
    }
    if dax_entry_order(entry) >= order {
        return None;
    }
    if entry.is_none() {
        // dax_entry_order(NULL) is 0: an empty range is a "conflict" for a PMD request.
        cx.note(Note::PmdNeverEstablished);
    }
    Some(Some(Entry::Retry))
}

/// put_unlocked_entry(): we took the wake-up in get_unlocked_entry() but did not lock the
/// entry, so pass it on. v5.3-rc1 and -rc2 shipped the test inverted (it woke only for the
/// conflict value, never for a real entry) until 61c30c98ef17; the mode argument is v5.13's.
pub async fn put_unlocked_entry(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    xas: &XaState,
    entry: Option<Entry>,
    mode: WakeMode,
) {
    let _f = cx.enter(Func::PutUnlockedEntry);
    let wakes = if !cx.k.has(Fix::MissedWakeupPmd) {
        entry.is_some()
    } else if !cx.k.has(Fix::PutUnlockedWakeup) {
        dax_is_conflict(entry)
    } else {
        entry.is_some() && !dax_is_conflict(entry)
    };
    if wakes {
        let mode = if cx.k.has(Fix::PutUnlockedWakeMode) { mode } else { WakeMode::Next };
        dax_wake_entry(cx, mapping, xas, entry, mode).await;
    }
}

/// dax_lock_entry(): store `entry` with DAX_LOCKED through `xas` (xa_lock held); returns
/// what the slot held.
pub async fn dax_lock_entry(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    xas: &mut XaState,
    entry: Option<Entry>,
) -> Option<Entry> {
    cx.xas_store(&mapping.i_pages, xas, Some(dax_locked(entry))).await
}

/// dax_unlock_entry(): store the unlocked `entry` back (the state is stale after the lock
/// was dropped, so it walks again) and wake one waiter. BUG if the slot was not locked.
pub async fn dax_unlock_entry(cx: &Cx<'_>, mapping: &AddressSpace, xas: &mut XaState, entry: Option<Entry>) {
    let _f = cx.enter(Func::DaxUnlockEntry);
    let at = Location::caller();
    let root = &mapping.i_pages;
    if dax_is_locked(entry) {
        cx.bug(at, Invariant::EntryNotLocked { index: xas.xa_index(), found: entry });
        return;
    }
    xas.reset();
    cx.xa_lock_irq(root).await;
    let old = cx.xas_store(root, xas, entry).await;
    cx.xa_unlock_irq(root).await;
    if !dax_is_locked(old) {
        cx.bug(at, Invariant::EntryNotLocked { index: xas.xa_index(), found: old });
        return;
    }
    dax_wake_entry(cx, mapping, xas, entry, WakeMode::Next).await;
}
