//! Fault dispatch (mm/memory.c): __handle_mm_fault tries a huge PMD fault when the PMD slot
//! is empty, and falls back to handle_pte_fault. Neither re-checks the slot under a lock
//! before calling into the filesystem: the DAX entry lock is the only thing that orders a
//! 4 KiB DAX fault against a PMD DAX fault.

use super::memory::{pte_offset_map_read, wp_page_copy};
use super::pgtable_generic::{pmd_devmap, pmd_load, pmd_none, pmd_trans_unstable};
use super::{PeSize, Pte, PteKind, VmFault, Vmf};
use crate::dax::dax_pfn_mkwrite;
use crate::fs::daxfs_fault;
use crate::mm::{Mm, Vma};
use crate::release::Era;
use crate::sim::Cx;
use crate::trace::Func;

/// handle_mm_fault() → __handle_mm_fault() for a fault at `address` in `vma`.
pub async fn handle_mm_fault(cx: &Cx<'_>, mm: &Mm, vma: &Vma, address: u64, write: bool) -> VmFault {
    let _f = cx.enter(Func::HandleMmFault);
    // A statistic for stress runs that no step reads: it needs no footprint.
    cx.k.obs.with(|o| o.faults += 1);
    let vmf = Vmf::new(mm, vma, address, write);
    // `if (pmd_none(*vmf.pmd) && transparent_hugepage_enabled(vma))`, else the snapshot
    // `orig_pmd = *vmf.pmd`: two loads of the slot, which may differ.
    let none = pmd_none(cx, mm, vmf.address).await;
    if none && vma.thp {
        let ret = create_huge_pmd(cx, &vmf).await;
        if !ret.contains(VmFault::FALLBACK) {
            return ret;
        }
    } else {
        let orig = pmd_load(cx, mm, vmf.address).await;
        if orig.kind.is_huge() {
            if !write || orig.write {
                // huge_pmd_set_accessed(): the mapping is there; the access retries.
                return VmFault::NONE;
            }
            let ret = wp_huge_pmd(cx, &vmf).await;
            if !ret.contains(VmFault::FALLBACK) {
                return ret;
            }
        }
    }
    handle_pte_fault(cx, &vmf).await
}

/// A DAX vma has ->huge_fault, so an empty PMD slot goes to the filesystem first.
async fn create_huge_pmd(cx: &Cx<'_>, vmf: &Vmf<'_>) -> VmFault {
    let _f = cx.enter(Func::CreateHugePmd);
    Box::pin(daxfs_fault(cx, vmf, PeSize::Pmd)).await
}

/// A write to a read-only huge PMD (the huge zero page, or a PMD mapped by a read fault).
async fn wp_huge_pmd(cx: &Cx<'_>, vmf: &Vmf<'_>) -> VmFault {
    let _f = cx.enter(Func::WpHugePmd);
    Box::pin(daxfs_fault(cx, vmf, PeSize::Pmd)).await
}

/// handle_pte_fault(). An empty slot goes straight to ->fault (no table is allocated
/// here). Otherwise the 4.11 guard tests pmd_trans_unstable() before pmd_devmap(), so a DAX
/// huge PMD here is reported as a "bad pmd" and cleared before the fault is retried; each
/// test is its own load of the slot.
pub async fn handle_pte_fault(cx: &Cx<'_>, vmf: &Vmf<'_>) -> VmFault {
    let _f = cx.enter(Func::HandlePteFault);
    let (mm, addr) = (vmf.mm, vmf.address);
    let pte = if pmd_none(cx, mm, addr).await {
        None
    } else {
        if pmd_trans_unstable(cx, mm, addr).await || pmd_devmap(cx, mm, addr).await {
            return VmFault::NONE;
        }
        match pte_offset_map_read(cx, vmf).await {
            Ok(pte) => pte,
            Err(ret) => return ret,
        }
    };
    match pte {
        None => do_fault(cx, vmf).await,
        Some(pte) if vmf.write && !pte.write => do_wp_page(cx, vmf, pte).await,
        Some(_) => VmFault::NONE,
    }
}

/// do_fault(): read, private write (COW) or shared write, all through ->fault.
async fn do_fault(cx: &Cx<'_>, vmf: &Vmf<'_>) -> VmFault {
    let _f = cx.enter(Func::DoFault);
    // do_read_fault, do_cow_fault and do_shared_fault all return at once when ->fault
    // answers with an error, NOPAGE, RETRY or DONE_COW, which DAX always does: it installs
    // the PTE itself.
    Box::pin(daxfs_fault(cx, vmf, PeSize::Pte)).await
}

/// do_wp_page(): a write to a present, read-only PTE.
///
/// - shared, DAX pfn: vm_normal_page() finds no normal page behind a devmap pfn →
///   wp_pfn_shared() → ->pfn_mkwrite;
/// - shared, hole page: wp_page_shared() → ->page_mkwrite, which for DAX is the fault
///   handler again: it allocates and replaces the hole page ("hole fill");
/// - private: wp_page_copy() gives the process its own copy.
async fn do_wp_page(cx: &Cx<'_>, vmf: &Vmf<'_>, orig: Pte) -> VmFault {
    let _f = cx.enter(Func::DoWpPage);
    match (vmf.vma.shared, orig.kind) {
        // From v4.13 ->pfn_mkwrite is the filesystem's fault handler: a 4 KiB write fault.
        (true, PteKind::Devmap) if cx.k.era() == Era::XArray => Box::pin(daxfs_fault(cx, vmf, PeSize::Pte)).await,
        (true, PteKind::Devmap) => Box::pin(daxfs_pfn_mkwrite(cx, vmf, orig)).await,
        (true, _) => do_fault(cx, vmf).await,
        (false, _) => wp_page_copy(cx, vmf, orig).await,
    }
}

/// ext4_dax_pfn_mkwrite() in shape: under the fault lock, SIGBUS beyond EOF, else
/// dax_pfn_mkwrite().
async fn daxfs_pfn_mkwrite(cx: &Cx<'_>, vmf: &Vmf<'_>, orig: Pte) -> VmFault {
    let _f = cx.enter(Func::DaxfsPfnMkwrite);
    cx.down_read(&cx.k.inode.mmap_sem).await;
    let size_pages = cx.k.inode.i_size().div_ceil(super::PAGE_SIZE);
    let ret = if vmf.pgoff >= size_pages { VmFault::SIGBUS } else { dax_pfn_mkwrite(cx, vmf, orig).await };
    cx.up_read(&cx.k.inode.mmap_sem).await;
    ret
}
