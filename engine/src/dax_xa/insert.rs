//! dax_insert_entry() and the hole loads: turn the locked entry a fault grabbed into one
//! that records what is now mapped, and map the zero page for a read of a hole.

use super::entry::*;
use super::locking::dax_lock_entry;
use super::pages::{dax_associate_entry, dax_disassociate_entry};
use super::unmap_mapping_pages;
use crate::check::Invariant;
use crate::fs::AddressSpace;
use crate::mm::huge_memory::{HUGE_ZERO_PFN, mm_get_huge_zero_page, set_huge_zero_pmd};
use crate::mm::{VmFault, Vmf, ZERO_PFN, vm_insert_mixed};
use crate::sim::Cx;
use crate::trace::Func;
use crate::xarray::{Entry, PAGECACHE_TAG_DIRTY, XaState};
use std::panic::Location;

/// dax_insert_entry(): the caller holds `entry` locked (from grab_mapping_entry()). An empty
/// or zero entry is replaced by `new` (dax_make_entry(pfn, flags); a zero page's mappings are unmapped
/// first, without the xa_lock); a real PTE or PMD entry stays as it is and is only dirtied
/// (a 4 KiB fault inside a real PMD entry dirties the whole PMD). Returns the entry the
/// caller now holds locked, in its unlocked form.
pub async fn dax_insert_entry(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    vmf: &Vmf<'_>,
    xas: &mut XaState,
    entry: Option<Entry>,
    new: Entry,
    dirty: bool,
) -> Option<Entry> {
    let _f = cx.enter(Func::DaxInsertEntry);
    let at = Location::caller();
    let root = &mapping.i_pages;
    let new = Some(new);
    if dax_is_zero_entry(entry) && !dax_is_zero_entry(new) {
        // Replacing a zero page with a block mapping.
        let index = xas.xa_index();
        if dax_is_pmd_entry(entry) {
            unmap_mapping_pages(cx, index & !PG_PMD_COLOUR, PG_PMD_NR).await;
        } else {
            unmap_mapping_pages(cx, index, 1).await;
        }
    }
    xas.reset();
    cx.xa_lock_irq(root).await;
    if association_changes(entry) {
        dax_disassociate_entry(cx, entry, false);
        let size = dax_entry_size(new);
        if size != 0 {
            let first = vmf.vma.linear_page_index(vmf.address & !(size - 1));
            dax_associate_entry(cx, mapping, new, first);
        }
    }
    let result = if dax_is_zero_entry(entry) || dax_is_empty_entry(entry) {
        let old = dax_lock_entry(cx, mapping, xas, new).await;
        if old != Some(dax_locked(entry)) {
            let what = format!("dax_insert_entry: the slot held {old:?}, not the entry the fault locked");
            cx.warn(at, Invariant::Warn { what });
        }
        new
    } else {
        // Walk the state, so that the mark lands on the entry's slot.
        cx.xas_load(root, xas).await;
        entry
    };
    if dirty {
        cx.xas_set_mark(root, xas, PAGECACHE_TAG_DIRTY).await;
    }
    cx.xa_unlock_irq(root).await;
    result
}

/// Only an empty or zero entry's replacement moves the pages' association (v5.1, read in
/// v5.2). v4.20 and v5.0 moved it whenever the two entries differed in size; that change's
/// id is not verified, so every XArray-era kernel runs the later test.
fn association_changes(entry: Option<Entry>) -> bool {
    dax_is_zero_entry(entry) || dax_is_empty_entry(entry)
}

/// dax_load_hole(): a read of a 4 KiB hole maps the zero page read-only, recorded as a zero
/// entry; a later write faults and replaces both.
pub async fn dax_load_hole(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    vmf: &Vmf<'_>,
    xas: &mut XaState,
    entry: &mut Option<Entry>,
) -> VmFault {
    let _f = cx.enter(Func::DaxLoadHole);
    let dirty = false;
    let new = dax_make_entry(ZERO_PFN, DAX_ZERO_PAGE);
    *entry = dax_insert_entry(cx, mapping, vmf, xas, *entry, new, dirty).await;
    vmf_insert_mixed(cx, vmf, ZERO_PFN).await
}

/// dax_pmd_load_hole(): a read of a 2 MiB hole maps the huge zero page, recorded as a PMD
/// zero entry — even if the PMD slot turns out to be taken, which falls back.
pub async fn dax_pmd_load_hole(
    cx: &Cx<'_>,
    mapping: &AddressSpace,
    vmf: &Vmf<'_>,
    xas: &mut XaState,
    entry: &mut Option<Entry>,
) -> Result<VmFault, ()> {
    let _f = cx.enter(Func::DaxPmdLoadHole);
    mm_get_huge_zero_page(vmf);
    let dirty = false;
    let new = dax_make_entry(HUGE_ZERO_PFN, DAX_PMD | DAX_ZERO_PAGE);
    *entry = dax_insert_entry(cx, mapping, vmf, xas, *entry, new, dirty).await;
    if !set_huge_zero_pmd(cx, vmf).await {
        return Err(());
    }
    Ok(VmFault::NOPAGE)
}

/// vmf_insert_mixed(): a present PTE (-EBUSY) is fine, someone else faulted it in.
pub async fn vmf_insert_mixed(cx: &Cx<'_>, vmf: &Vmf<'_>, pfn: u64) -> VmFault {
    vmf_result(vm_insert_mixed(cx, vmf, vmf.address & !0xfff, pfn).await)
}

pub(super) fn vmf_result(r: Result<(), crate::kernel::Errno>) -> VmFault {
    match r {
        Ok(()) | Err(crate::kernel::Errno::Ebusy) => VmFault::NOPAGE,
        Err(crate::kernel::Errno::Enomem) => VmFault::OOM,
        Err(_) => VmFault::SIGBUS,
    }
}
