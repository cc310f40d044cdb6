//! The struct pages behind DAX entries (v4.19 on): dax_associate_entry() records which
//! file index each pmem page backs and dax_disassociate_entry() forgets it. Plain reads and
//! writes of `cx.k.dev_pages`, done under the xa_lock.

use super::entry::*;
use crate::check::Invariant;
use crate::fs::AddressSpace;
use crate::sim::Cx;
use crate::xarray::Entry;
use std::panic::Location;

/// dax_associate_entry(): each page of `entry` now backs `mapping` at `index` onwards
/// (`index` is the entry's first index). A page already owned is a WARN_ON_ONCE.
#[track_caller]
pub fn dax_associate_entry(cx: &Cx<'_>, mapping: &AddressSpace, entry: Option<Entry>, index: u64) {
    let at = Location::caller();
    for (i, pfn) in mapped_pfns(entry).enumerate() {
        let owned = cx.k.dev_pages.with(pfn, |p| {
            let owned = p.mapping.is_some();
            p.mapping = Some(mapping.addr);
            p.index = index + i as u64;
            owned
        });
        if owned {
            let what = format!("dax_associate_entry: page pfn {pfn:#x} already belongs to a mapping");
            cx.warn(at, Invariant::Warn { what });
        }
    }
}

/// dax_disassociate_entry(): forget the pages' owner. When `trunc` (truncate or hole punch
/// removes the entry), a page still pinned for DMA is about to lose its blocks under the
/// device: WARN_ON_ONCE(trunc && page_ref_count(page) > 1) through v6.14; v6.15 dropped the
/// WARN, not the hazard, so the model checks it on every kernel.
#[track_caller]
pub fn dax_disassociate_entry(cx: &Cx<'_>, entry: Option<Entry>, trunc: bool) {
    let at = Location::caller();
    for pfn in mapped_pfns(entry) {
        let (index, refcount) = cx.k.dev_pages.with(pfn, |p| {
            let was = (p.index, p.refcount);
            p.mapping = None;
            p.index = 0;
            was
        });
        // The WARN only prints: the page is disassociated all the same.
        if trunc && refcount > 1 {
            cx.warn(at, Invariant::DmaPageTruncated { index, pfn, refcount });
        }
    }
}
