//! dax_insert_mapping_entry() and dax_insert_mapping(): turn the locked entry a fault
//! grabbed into one that records the sector now mapped.

use super::entry::*;
use crate::check::{Invariant, Note};
use crate::fs::AddressSpace;
use crate::kernel::Errno;
use crate::mm::{__delete_from_page_cache, PAGE_SIZE, PMD_MASK, PMD_SIZE, Vmf, unmap_mapping_range, vm_insert_mixed};
use crate::pmem::pfn_of_sector;
use crate::radix::{Item, PAGECACHE_TAG_DIRTY};
use crate::sim::Cx;
use crate::trace::Func;
use std::panic::Location;

/// The caller holds `entry` locked (from grab_mapping_entry). Only an empty or zero entry
/// is replaced, and a hole page is swapped for a DAX entry; a real PTE or PMD entry is
/// left alone (a 4 KiB fault under a real PMD entry just dirties the PMD). The returned
/// entry is locked and is what the caller unlocks — through a re-lookup by index, so it
/// does not matter that in the leave-alone case it is not what the tree holds.
pub async fn dax_insert_mapping_entry(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    vmf: &Vmf<'_>,
    entry: Item,
    sector: u64,
    flags: u64,
) -> Result<Item, Errno> {
    let _f = cx.enter(Func::DaxInsertMappingEntry);
    let at = Location::caller();
    let index = vmf.pgoff;
    let tree = &mapping.page_tree;

    if let Item::Page(_) = entry {
        // Unmap the hole page before it leaves the page cache; it is locked, so it cannot
        // be faulted in again meanwhile.
        unmap_mapping_range(cx, index << 12, PAGE_SIZE, false).await;
        cx.radix_tree_preload().await?;
    } else if entry.value().is_some_and(dax_is_zero_entry) && flags & RADIX_DAX_HZP == 0 {
        // Replacing the huge zero page with a PMD block mapping.
        unmap_mapping_range(cx, (index << 12) & PMD_MASK, PMD_SIZE, false).await;
    }

    cx.spin_lock_irq(&mapping.tree_lock).await;
    let new_entry = Item::Exceptional(dax_radix_locked_entry(sector, flags));
    let mut result = Ok(new_entry);

    if let Item::Page(page) = entry {
        __delete_from_page_cache(cx, mapping, index, page).await;
        cx.put_page(page);
        match cx.radix_tree_insert(tree, index, dax_radix_order(flags), new_entry).await {
            Ok(()) => {
                cx.note(Note::HoleFill);
                mapping.add_nrexceptional(1);
            }
            Err(e) => result = Err(e),
        }
    } else if let Item::Exceptional(v) = entry
        && (dax_is_zero_entry(v) || dax_is_empty_entry(v))
    {
        let found = cx.radix_tree_lookup(tree, index).await.map(|f| f.item);
        let mismatch = Invariant::ReplaceMismatch { index, expected: entry, found };
        if found != Some(entry) && cx.warn(at, mismatch.clone()) && found.is_none() {
            // The kernel goes on to replace through whatever slot its lookup stopped at:
            // with nothing found, an empty slot at the height the walk reached, which the
            // new entry now fills (and keeps locked: the unlock looks up the faulting
            // entry's own index). Past the tree's end the lookup leaves its slot pointer
            // unset; the model does not follow the kernel there, and the run ends.
            if !cx.radix_tree_replace_empty_slot(tree, index, new_entry).await {
                cx.bug(at, mismatch);
            }
        } else {
            cx.radix_tree_replace(tree, index, new_entry).await;
        }
    }
    if result.is_ok() && vmf.write {
        cx.radix_tree_tag_set(tree, index, PAGECACHE_TAG_DIRTY).await;
    }
    cx.spin_unlock_irq(&mapping.tree_lock).await;

    if let Item::Page(page) = entry {
        cx.radix_tree_preload_end();
        cx.unlock_page(page).await;
        cx.put_page(page);
    }
    result
}

/// dax_insert_mapping(): record the 4 KiB mapping in the tree, then install the PTE with
/// vm_insert_mixed(). -EBUSY (a PTE already there) is the caller's to forgive.
pub async fn dax_insert_mapping(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    sector: u64,
    entry: &mut Item,
    vmf: &Vmf<'_>,
) -> Result<(), Errno> {
    let _f = cx.enter(Func::DaxInsertMapping);
    let pfn = pfn_of_sector(sector);
    *entry = dax_insert_mapping_entry(cx, mapping, vmf, *entry, sector, 0).await?;
    vm_insert_mixed(cx, vmf, vmf.address, pfn).await
}
