//! grab_mapping_entry() of the XArray era: the fault's entry, locked.

use super::entry::*;
use super::locking::{WakeMode, dax_lock_entry, dax_wake_entry, get_unlocked_entry, put_unlocked_entry};
use super::pages::dax_disassociate_entry;
use super::{count_entry, unmap_mapping_pages};
use crate::check::{Invariant, Note};
use crate::fs::AddressSpace;
use crate::kernel::Errno;
use crate::mm::VmFault;
use crate::release::Fix;
use crate::sim::Cx;
use crate::trace::Func;
use crate::xarray::{Entry, XaState, xa_is_internal, xa_is_value};
use std::panic::Location;

/// Find the entry `xas` covers and return it locked in the array (but in its unlocked
/// form: what dax_unlock_entry() will store back); if there is none, store a locked empty
/// entry of `order` (0, or PMD_ORDER for a PMD fault). A PMD request that meets a smaller
/// entry fails with VM_FAULT_FALLBACK; a 4 KiB request on an empty or zero PMD entry
/// downgrades it (unmap, delete, store a 4 KiB entry); a PMD entry with storage is used as
/// is. Errors come back as VM_FAULT codes (the kernel's xa_mk_internal(VM_FAULT_*)).
///
/// Locking: xa_lock for the lookup and the stores; it is dropped to sleep on a locked
/// entry, to unmap a zero PMD being downgraded, and in xas_nomem() to allocate a node a
/// store could not get without sleeping — after which the whole lookup runs again.
pub async fn grab_mapping_entry(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    xas: &mut XaState,
    order: u32,
) -> Result<Option<Entry>, VmFault> {
    let _f = cx.enter(Func::GrabMappingEntry);
    let root = &mapping.i_pages;
    let index = xas.xa_index();
    // Declared before `retry:` in the C; 1a14e3779dd5 resets it at `retry:`.
    let mut pmd_downgrade = false;
    loop {
        if cx.k.has(Fix::GrabEnomem) {
            pmd_downgrade = false;
        }
        cx.xa_lock_irq(root).await;
        let mut entry = get_unlocked_entry(cx, mapping, xas, order).await;
        match look(cx, mapping, xas, entry, order).await {
            Look::Fallback => {
                cx.xa_unlock_irq(root).await;
                return Err(VmFault::FALLBACK);
            }
            Look::Downgrade => pmd_downgrade = true,
            Look::Error | Look::Use => {}
        }
        if xas.error().is_none() {
            if pmd_downgrade {
                downgrade(cx, mapping, xas, entry, index).await;
                entry = None;
            }
            entry = Some(lock_or_create(cx, mapping, xas, entry, order).await);
        }
        cx.xa_unlock_irq(root).await;
        if cx.xas_nomem(xas).await {
            continue;
        }
        return match xas.error() {
            Some(Errno::Enomem) => Err(VmFault::OOM),
            Some(_) => Err(VmFault::SIGBUS),
            None => Ok(entry),
        };
    }
}

/// What grab_mapping_entry() makes of the entry it found.
enum Look {
    Use,
    Fallback,
    Downgrade,
    /// Not a value entry: the state now carries an error.
    Error,
}

async fn look(cx: &Cx<'_>, mapping: &AddressSpace, xas: &mut XaState, entry: Option<Entry>, order: u32) -> Look {
    if entry.is_none() {
        return Look::Use;
    }
    if dax_is_conflict(entry) && cx.k.has(Fix::MissedWakeupPmd) {
        return Look::Fallback;
    }
    if xa_is_internal(entry) && !cx.k.has(Fix::HugePageFaults) {
        // Before 0e40de0338d0: a node where a PMD-order load stopped means smaller
        // entries below: fall back.
        return Look::Fallback;
    }
    if !xa_is_value(entry) {
        // v4.20 to v5.4 pass a positive EIO, which xas_error() does not see; a page in a
        // DAX mapping cannot happen in the model either way.
        xas.set_err(Errno::Eio);
        return Look::Error;
    }
    if order > 0 && !cx.k.has(Fix::MissedWakeupPmd) && dax_is_pte_entry(entry) {
        // v4.20 to v5.2: a PTE entry in the PMD's range; we took the wake-up, pass it on.
        put_unlocked_entry(cx, mapping, xas, entry, WakeMode::Next).await;
        return Look::Fallback;
    }
    if order == 0 && dax_is_pmd_entry(entry) && (dax_is_zero_entry(entry) || dax_is_empty_entry(entry)) {
        return Look::Downgrade;
    }
    Look::Use
}

/// Split an empty or zero PMD entry for a 4 KiB fault: lock it so it stays while the
/// xa_lock is dropped to unmap a zero page's PMD mappings, then delete it, wake everyone
/// waiting on it and leave the state at the faulting index for the new 4 KiB entry.
async fn downgrade(cx: &Cx<'_>, mapping: &AddressSpace, xas: &mut XaState, entry: Option<Entry>, index: u64) {
    let root = &mapping.i_pages;
    cx.note(Note::PmdDowngrade);
    dax_lock_entry(cx, mapping, xas, entry).await;
    if dax_is_zero_entry(entry) {
        cx.xa_unlock_irq(root).await;
        unmap_mapping_pages(cx, xas.xa_index() & !PG_PMD_COLOUR, PG_PMD_NR).await;
        xas.reset();
        cx.xa_lock_irq(root).await;
    }
    dax_disassociate_entry(cx, entry, false);
    // Undo the PMD join.
    cx.xas_store(root, xas, None).await;
    dax_wake_entry(cx, mapping, xas, entry, WakeMode::All).await;
    // Through v5.12 `mapping->nrexceptional--`; from v5.13 `mapping->nrpages -= PG_PMD_NR`.
    count_entry(cx, mapping, PMD_ORDER, -1);
    xas.set(index);
}

/// Lock the entry found, or store a new locked empty one; count it if new.
async fn lock_or_create(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    xas: &mut XaState,
    entry: Option<Entry>,
    order: u32,
) -> Entry {
    if let Some(found) = entry {
        dax_lock_entry(cx, mapping, xas, entry).await;
        return found;
    }
    let flags = if order > 0 { DAX_EMPTY | DAX_PMD } else { DAX_EMPTY };
    let new = dax_make_entry(0, flags);
    if order > 0 {
        check_range_empty(cx, mapping, xas.xa_index());
    }
    dax_lock_entry(cx, mapping, xas, Some(new)).await;
    if xas.error().is_none() {
        count_entry(cx, mapping, order, 1);
    }
    new
}

/// The model's own check before an order-9 store: xas_store() would silently free the
/// nodes of any smaller entries below it (the bug 0e40de0338d0 fixed). The xa_lock is held,
/// so reading the array here is what the kernel's store would see.
#[track_caller]
fn check_range_empty(cx: &Cx<'_>, mapping: &AddressSpace, first: u64) {
    let at = Location::caller();
    crate::footprint::reads(crate::xarray::footprint::entries(first, first + PG_PMD_NR - 1));
    let lost: Vec<u64> = mapping.i_pages.xa.with(|xa| {
        xa.entries().into_iter().map(|e| e.index).filter(|i| (first..first + PG_PMD_NR).contains(i)).collect()
    });
    if !lost.is_empty() {
        cx.bug(at, Invariant::PmdOverPteEntries { index: first, lost });
    }
}
