//! dax_iomap_pmd_fault() of the XArray era: the 2 MiB fault and its fallbacks.

use super::entry::*;
use super::grab::grab_mapping_entry;
use super::insert::{dax_insert_entry, dax_pmd_load_hole};
use super::locking::dax_unlock_entry;
use crate::check::Invariant;
use crate::dax::FallbackReason;
use crate::fs::{IOMAP_FAULT, IOMAP_WRITE, IomapType};
use crate::mm::{
    PAGE_SIZE, PMD_MASK, PMD_SIZE, PeSize, VmFault, Vmf, pmd_is_table, split_huge_pmd, vmf_insert_pfn_pmd,
};
use crate::pmem::pfn_of_sector;
use crate::release::Fix;
use crate::sim::Cx;
use crate::trace::Func;
use crate::xarray::{Entry, XaState};
use std::panic::Location;

pub async fn dax_iomap_pmd_fault(cx: &Cx<'_>, vmf: &Vmf<'_>) -> VmFault {
    let _f = cx.enter(Func::DaxIomapPmdFault);
    let at = Location::caller();
    let mut xas = XaState::new_order(vmf.pgoff, PMD_ORDER);
    let max_pgoff = cx.k.inode.i_size().div_ceil(PAGE_SIZE);
    cx.fault_begin(at, vmf, PeSize::Pmd);
    // From 65dd814a6187's series the end of file is tested first (v6.1's
    // dax_fault_check_fallback()); v5.14 still tests it after the vma checks.
    let beyond_eof = xas.xa_index() >= max_pgoff;
    if beyond_eof && cx.k.has(Fix::FaultIomapIter) {
        return cx.fault_done(at, vmf, PeSize::Pmd, VmFault::SIGBUS);
    }
    let result = match fallback_reason(vmf) {
        Some(reason) => cx.fallback(at, vmf, reason),
        None if beyond_eof => return cx.fault_done(at, vmf, PeSize::Pmd, VmFault::SIGBUS),
        None if (xas.xa_index() | PG_PMD_COLOUR) >= max_pgoff => cx.fallback(at, vmf, FallbackReason::BeyondEof),
        None => match grab_mapping_entry(cx, &cx.k.mapping, &mut xas, PMD_ORDER).await {
            Err(VmFault::FALLBACK) => cx.fallback(at, vmf, FallbackReason::SmallerEntry),
            Err(ret) => ret,
            Ok(mut entry) => {
                let result = if pmd_is_table(cx, vmf.mm, vmf.address).await {
                    // A PTE fault raced with us and installed a page table: retry.
                    VmFault::NONE
                } else {
                    map_pmd(cx, vmf, &mut xas, &mut entry).await
                };
                dax_unlock_entry(cx, &cx.k.mapping, &mut xas, entry).await;
                result
            }
        },
    };
    if result == VmFault::FALLBACK {
        split_huge_pmd(cx, vmf).await;
    }
    cx.fault_done(at, vmf, PeSize::Pmd, result)
}

/// The PMD fault's reasons to fall back before looking at the page cache, in the kernel's
/// order.
fn fallback_reason(vmf: &Vmf<'_>) -> Option<FallbackReason> {
    let vma = vmf.vma;
    let pmd_addr = vmf.address & PMD_MASK;
    if vmf.pgoff & PG_PMD_COLOUR != (vmf.address >> 12) & PG_PMD_COLOUR {
        // The faulting address's offset in its PMD must match the file offset's in its
        // PMD, or a PMD of the page tables would not cover a PMD of the page cache.
        Some(FallbackReason::Colour)
    } else if vmf.write && !vma.shared {
        Some(FallbackReason::CowWrite)
    } else if pmd_addr < vma.vm_start {
        Some(FallbackReason::VmaStart)
    } else if pmd_addr + PMD_SIZE > vma.vm_end {
        Some(FallbackReason::VmaEnd)
    } else {
        None
    }
}

/// From iomap_begin to iomap_end, with the PMD entry locked: map the 2 MiB extent, or the
/// huge zero page for a read of a hole.
async fn map_pmd(cx: &Cx<'_>, vmf: &Vmf<'_>, xas: &mut XaState, entry: &mut Option<Entry>) -> VmFault {
    let at = Location::caller();
    let pos = xas.xa_index() << 12;
    let flags = IOMAP_FAULT | if vmf.write { IOMAP_WRITE } else { 0 };
    let Ok(iomap) = cx.iomap_begin(pos, PMD_SIZE, flags).await else {
        return cx.fallback(at, vmf, FallbackReason::IomapError);
    };
    let result = if iomap.offset + iomap.length < pos + PMD_SIZE {
        cx.fallback(at, vmf, FallbackReason::ShortExtent)
    } else {
        match iomap.kind {
            IomapType::Mapped => {
                let pfn = pfn_of_sector(iomap.sector(pos));
                if pfn & PG_PMD_COLOUR != 0 {
                    cx.fallback(at, vmf, FallbackReason::PfnUnaligned)
                } else {
                    let new = dax_make_entry(pfn, DAX_PMD);
                    // `write && !sync`; the model has no MAP_SYNC mappings. v5.19 to v6.1 dirty on
                    // every fault ("fsdax: Replace mmap entry in case of CoW", undone in v6.2);
                    // not modelled: neither commit's id is verified yet.
                    let dirty = vmf.write;
                    *entry = dax_insert_entry(cx, &cx.k.mapping, vmf, xas, *entry, new, dirty).await;
                    vmf_insert_pfn_pmd(cx, vmf, pfn, vmf.write).await
                }
            }
            IomapType::Unwritten | IomapType::Hole if vmf.write => {
                let what = "PMD write fault on a hole the filesystem did not allocate".into();
                cx.warn(at, Invariant::Warn { what });
                cx.fallback(at, vmf, FallbackReason::WriteToHole)
            }
            IomapType::Unwritten | IomapType::Hole => {
                match dax_pmd_load_hole(cx, &cx.k.mapping, vmf, xas, entry).await {
                    Ok(ret) => ret,
                    Err(()) => cx.fallback(at, vmf, FallbackReason::LoadHolePmdNotNone),
                }
            }
        }
    };
    let copied = if result == VmFault::FALLBACK { 0 } else { PMD_SIZE };
    cx.iomap_end(pos, PMD_SIZE, copied);
    result
}
