//! Read faults on holes: a 4 KiB hole page in the page cache (dax_load_hole), and the page
//! cache side of replacing it later.

use super::entry::*;
use crate::check::Invariant;
use crate::fs::AddressSpace;
use crate::kernel::Errno;
use crate::mm::{PageField, VmFault, Vmf, finish_fault};
use crate::radix::Item;
use crate::sim::Cx;
use crate::trace::EventKind;
use crate::trace::Func;
use std::panic::Location;

/// dax_load_hole(): map a zeroed page-cache page read-only for a read of a hole. The page
/// replaces the locked empty entry we hold; from then on faults at this index lock the
/// page instead, so `*entry` becomes the page and the caller's unlock is unlock_page().
pub async fn dax_load_hole(cx: &Cx<'_>, mapping: &AddressSpace, entry: &mut Item, vmf: &Vmf<'_>) -> VmFault {
    let _f = cx.enter(Func::DaxLoadHole);
    let page = match *entry {
        Item::Page(page) => page,
        Item::Exceptional(_) => match find_or_create_page(cx, mapping, vmf.pgoff).await {
            Ok(page) => page,
            Err(_) => return VmFault::OOM,
        },
    };
    let ret = finish_fault(cx, vmf, page).await;
    *entry = Item::Page(page);
    if ret == VmFault::NONE {
        // A reference for the PTE that now maps the page.
        cx.get_page(page);
        return VmFault::NOPAGE;
    }
    ret
}

/// find_or_create_page(mapping, index, gfp | __GFP_ZERO): the lookup sees our exceptional
/// entry, which is not a page, so a new locked zeroed page is added:
/// add_to_page_cache_lru() → page_cache_tree_insert().
async fn find_or_create_page(cx: &Cx<'_>, mapping: &AddressSpace, index: u64) -> Result<u32, Errno> {
    let _f = cx.enter(Func::FindOrCreatePage);
    let at = Location::caller();
    // A new page is born locked (__SetPageLocked) before anyone can find it.
    let page = cx.k.pages.alloc(false, Some(cx.tid));
    cx.emit(at, || EventKind::PageLock { page });
    cx.radix_tree_preload().await?;
    cx.spin_lock_irq(&mapping.tree_lock).await;
    let r = page_cache_tree_insert(cx, mapping, index, page).await;
    cx.spin_unlock_irq(&mapping.tree_lock).await;
    cx.radix_tree_preload_end();
    r.map(|()| page)
}

/// page_cache_tree_insert() for a DAX mapping: the slot should hold exactly the locked
/// empty 4 KiB entry, whose waiters are all woken — from now on they must take the page
/// lock, and a page unlock never touches the DAX wait table (the v4.10 "4k holes" deadlock
/// fix). Anything else exceptional there is a WARN_ON_ONCE, after which the kernel goes on
/// just the same: the waiters of whatever entry it was are woken (on a PMD entry's key for
/// a PMD entry) and the page takes its canonical slot, so a whole PMD entry becomes the
/// page at all 512 indices, with its tags. Only a page already there is -EEXIST.
async fn page_cache_tree_insert(cx: &Cx<'_>, mapping: &AddressSpace, index: u64, page: u32) -> Result<(), Errno> {
    let _f = cx.enter(Func::PageCacheTreeInsert);
    let at = Location::caller();
    cx.sched(at).await;
    let old = mapping.page_tree.with(|t| t.lookup(index).map(|f| f.item));
    match old {
        Some(Item::Page(_)) => return Err(Errno::Eexist),
        Some(Item::Exceptional(v)) => {
            if v != dax_radix_locked_entry(0, RADIX_DAX_EMPTY)
                && !cx.warn(at, Invariant::HolePageOverWrongEntry { index, found: old })
            {
                // panic_on_warn: the run ends at this step; leave the tree as it is.
                return Err(Errno::Eexist);
            }
            super::dax_wake_mapping_entry_waiter(cx, mapping, index, v, true).await;
            mapping.add_nrexceptional(-1);
            mapping.page_tree.with(|t| t.replace(index, Item::Page(page)));
        }
        None => {
            mapping.page_tree.with(|t| t.insert(index, 0, Item::Page(page)))?;
        }
    }
    cx.k.pages.with(page, PageField::Mapping, |p| {
        p.mapping = Some(mapping.addr);
        p.index = index;
    });
    mapping.add_nrpages(1);
    cx.emit(at, || EventKind::PageCacheInsert { index, page, replaced: old });
    Ok(())
}
