//! grab_mapping_entry(): THE function of the seed race.

use super::dax_wake_mapping_entry_waiter;
use super::entry::*;
use super::locking::{get_unlocked_mapping_entry, lock_slot, put_locked_mapping_entry, put_unlocked_mapping_entry};
use crate::check::Note;
use crate::fs::AddressSpace;
use crate::kernel::Errno;
use crate::mm::{PMD_MASK, PMD_SIZE, PageField, unmap_mapping_range};
use crate::radix::Item;
use crate::release::Fix;
use crate::sim::Cx;
use crate::trace::Func;
use crate::trace::{EventKind, RestartReason};
use std::panic::Location;

/// Find the entry at `index` and return it locked; if there is none, insert a locked empty
/// entry of the requested size (`size_flag` is 0 for a PTE fault, RADIX_DAX_PMD for a PMD
/// fault). A hole page comes back locked with the page lock instead.
///
/// A PMD request fails with -EEXIST when 4 KiB entries exist in its range: the fault then
/// falls back to 4 KiB. A 4 KiB request on an empty or zero PMD entry downgrades it (unmap,
/// delete, insert a 4 KiB entry); a PMD entry with real storage is used as is.
///
/// Locking: tree_lock is dropped around radix_tree_preload(), which may sleep. When the
/// lookup found nothing, nothing at `index` is locked during that window, so another
/// thread can insert there. v4.11-rc5 only noticed through __radix_tree_insert()'s
/// -EEXIST, which for a PMD request is ambiguous; the fix (e11f8b7b6c4e, v4.11) looks
/// `index` up again once tree_lock is retaken and restarts if anything appeared.
pub async fn grab_mapping_entry(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    index: u64,
    size_flag: u64,
) -> Result<Item, Errno> {
    let _f = cx.enter(Func::GrabMappingEntry);
    let at = Location::caller();
    let pmd = size_flag & RADIX_DAX_PMD != 0;
    let result = grab(cx, mapping, index, size_flag).await;
    cx.emit(at, || EventKind::GrabReturn { index, pmd, result });
    result
}

async fn grab(cx: &Cx<'_>, mapping: &AddressSpace, index: u64, size_flag: u64) -> Result<Item, Errno> {
    let at = Location::caller();
    let tree = &mapping.page_tree;
    // Declared before `restart:` in the C, so it survives a restart.
    let mut pmd_downgrade = false;
    'restart: loop {
        cx.spin_lock_irq(&mapping.tree_lock).await;
        let mut entry = get_unlocked_mapping_entry(cx, mapping, index).await;

        if let Some(e) = entry {
            if size_flag & RADIX_DAX_PMD != 0 {
                if e.value().is_none_or(dax_is_pte_entry) {
                    put_unlocked_mapping_entry(cx, mapping, index, e).await;
                    cx.spin_unlock_irq(&mapping.tree_lock).await;
                    return Err(Errno::Eexist);
                }
            } else if let Item::Exceptional(v) = e
                && dax_is_pmd_entry(v)
                && (dax_is_zero_entry(v) || dax_is_empty_entry(v))
            {
                pmd_downgrade = true;
            }
        }

        // No entry for the index? Make sure the radix tree is big enough.
        if entry.is_none() || pmd_downgrade {
            if pmd_downgrade {
                // Keep the entry valid while tree_lock is dropped.
                entry = Some(Item::Exceptional(lock_slot(cx, mapping, index).await));
            }
            cx.spin_unlock_irq(&mapping.tree_lock).await;
            // Besides huge zero pages, only empty entries are downgraded, and those have
            // nothing mapped.
            if pmd_downgrade && entry.and_then(Item::value).is_some_and(dax_is_zero_entry) {
                unmap_mapping_range(cx, (index << 12) & PMD_MASK, PMD_SIZE, false).await;
            }
            if let Err(err) = cx.radix_tree_preload().await {
                if pmd_downgrade && let Some(e) = entry {
                    put_locked_mapping_entry(cx, mapping, index, e).await;
                }
                return Err(err);
            }
            cx.spin_lock_irq(&mapping.tree_lock).await;

            // e11f8b7b6c4e "dax: fix radix tree insertion race" (v4.11) adds this block.
            if cx.k.has(Fix::RadixTreeInsertionRace) && entry.is_none() {
                // We dropped tree_lock for the preload with nothing locked at our index:
                // see whether another thread inserted an entry meanwhile.
                if relookup(cx, mapping, index).await.is_some() {
                    cx.radix_tree_preload_end();
                    cx.spin_unlock_irq(&mapping.tree_lock).await;
                    restart(cx, at, index, RestartReason::RelookupFound);
                    continue 'restart;
                }
            }

            if pmd_downgrade {
                cx.note(Note::PmdDowngrade);
                cx.radix_tree_delete(tree, index).await;
                mapping.add_nrexceptional(-1);
                if let Some(old) = entry.and_then(Item::value) {
                    dax_wake_mapping_entry_waiter(cx, mapping, index, old, true).await;
                }
            }

            let new = dax_radix_locked_entry(0, size_flag | RADIX_DAX_EMPTY);
            let err = cx.radix_tree_insert(tree, index, dax_radix_order(new), Item::Exceptional(new)).await;
            cx.radix_tree_preload_end();
            if let Err(err) = err {
                cx.spin_unlock_irq(&mapping.tree_lock).await;
                // e11f8b7b6c4e "dax: fix radix tree insertion race" (v4.11) removes this
                // restart: after the re-lookup a 4 KiB insert cannot meet -EEXIST.
                if !cx.k.has(Fix::RadixTreeInsertionRace) && err == Errno::Eexist && size_flag & RADIX_DAX_PMD == 0 {
                    // "Someone already created the entry?" — only handled for 4 KiB.
                    restart(cx, at, index, RestartReason::PteInsertEexist);
                    continue 'restart;
                }
                // Our insertion failed, most likely because a PMD entry collided with a PTE
                // sized entry at a different index in its range. Pre-fix, it can also be a
                // PMD another thread inserted at our own index during the preload.
                return Err(err);
            }
            // Good, we have inserted an empty locked entry into the tree.
            mapping.add_nrexceptional(1);
            cx.spin_unlock_irq(&mapping.tree_lock).await;
            return Ok(Item::Exceptional(new));
        }

        let entry = entry.expect("handled above when empty");
        if let Item::Page(page) = entry {
            // A normal page (a hole page) in the radix tree: lock it with the page lock.
            cx.get_page(page);
            cx.spin_unlock_irq(&mapping.tree_lock).await;
            cx.lock_page(page).await;
            if cx.k.pages.get(page, PageField::Mapping, |p| p.mapping) != Some(mapping.addr) {
                // Page got truncated? Retry...
                cx.unlock_page(page).await;
                cx.put_page(page);
                restart(cx, at, index, RestartReason::PageTruncated);
                continue 'restart;
            }
            return Ok(entry);
        }
        let locked = lock_slot(cx, mapping, index).await;
        cx.spin_unlock_irq(&mapping.tree_lock).await;
        return Ok(Item::Exceptional(locked));
    }
}

/// The fix's re-lookup under tree_lock. It is a scheduling point only kernels with
/// e11f8b7b6c4e have; marking it lets a schedule be carried across kernels.
async fn relookup(cx: &Cx<'_>, mapping: &AddressSpace, index: u64) -> Option<Item> {
    let at = Location::caller();
    cx.sched(at).await;
    cx.rt().kernel_only_step(cx.tid);
    let found = mapping.page_tree.with(|t| t.lookup(index));
    cx.emit(at, || EventKind::Relookup {
        index,
        found: found.map(|f| f.item),
        canonical: found.map(|f| f.first_index),
    });
    found.map(|f| f.item)
}

fn restart(cx: &Cx<'_>, at: &'static Location<'static>, index: u64, reason: RestartReason) {
    cx.emit(at, || EventKind::Restart { index, reason });
    cx.note(Note::Restart { reason });
}
