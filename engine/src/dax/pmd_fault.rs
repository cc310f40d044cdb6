//! dax_iomap_pmd_fault(): the 2 MiB fault, and every way it falls back to 4 KiB.

use super::entry::*;
use super::grab_mapping_entry;
use super::insert::dax_insert_mapping_entry;
use super::locking::put_locked_mapping_entry;
use crate::check::Invariant;
use crate::fs::{IOMAP_FAULT, IOMAP_WRITE, IomapDesc, IomapType};
use crate::mm::huge_memory::{mm_get_huge_zero_page, set_huge_zero_pmd};
use crate::mm::{
    PAGE_SHIFT, PG_PMD_COLOUR, PMD_MASK, PMD_SIZE, PeSize, VmFault, Vmf, split_huge_pmd, vmf_insert_pfn_pmd,
};
use crate::pmem::pfn_of_sector;
use crate::radix::Item;
use crate::sim::Cx;
use crate::trace::Func;
use serde::{Deserialize, Serialize};
use std::panic::Location;

/// Why a PMD fault fell back to 4 KiB, in the order dax_iomap_pmd_fault() tests them.
/// (dax_map_atomic() failing, a short or non-devmap pmem mapping, and a missing huge zero
/// page cannot happen with the model's pmem, so they have no variant.)
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FallbackReason {
    /// A write to a private mapping: COW must be done per 4 KiB page.
    CowWrite,
    /// The 2 MiB range would start before the vma.
    VmaStart,
    /// The 2 MiB range would end after the vma.
    VmaEnd,
    /// (pgoff | PG_PMD_COLOUR) > max_pgoff: the PMD would extend past EOF.
    BeyondEof,
    /// ->iomap_begin failed.
    IomapError,
    /// The extent found is shorter than the 2 MiB range.
    ShortExtent,
    /// grab_mapping_entry() returned -EEXIST: 4 KiB entries in the range — or, before
    /// the fix, a PMD entry another thread inserted during the preload window.
    GrabEexist,
    /// grab_mapping_entry() returned -ENOMEM (radix_tree_preload failed).
    GrabEnomem,
    /// dax_pmd_insert_mapping(): the pfn is not 2 MiB aligned.
    PfnUnaligned,
    /// dax_pmd_insert_mapping() or dax_pmd_load_hole(): dax_insert_mapping_entry failed.
    InsertEntryError,
    /// A write fault found a hole or unwritten extent (WARN_ON_ONCE).
    WriteToHole,
    /// dax_pmd_load_hole(): the PMD slot was not empty under the PMD lock.
    LoadHolePmdNotNone,
    /// The faulting address's offset within its PMD differs from the file offset's within
    /// its PMD, so no page-table PMD can cover a page-cache PMD (tested from v4.13 on; the
    /// XArray-era model has it, the radix-era one runs v4.11's code without it).
    Colour,
    /// grab_mapping_entry() returned VM_FAULT_FALLBACK (XArray era): a smaller entry is in
    /// the PMD's range — or, on v5.3, the range was empty and the conflict test misread it.
    SmallerEntry,
}

impl FallbackReason {
    pub fn name(self) -> &'static str {
        match self {
            FallbackReason::CowWrite => "cow-write",
            FallbackReason::VmaStart => "vma-start",
            FallbackReason::VmaEnd => "vma-end",
            FallbackReason::BeyondEof => "beyond-eof",
            FallbackReason::IomapError => "iomap-error",
            FallbackReason::ShortExtent => "short-extent",
            FallbackReason::GrabEexist => "grab-eexist",
            FallbackReason::GrabEnomem => "grab-enomem",
            FallbackReason::PfnUnaligned => "pfn-unaligned",
            FallbackReason::InsertEntryError => "insert-entry-error",
            FallbackReason::WriteToHole => "write-to-hole",
            FallbackReason::LoadHolePmdNotNone => "load-hole-pmd-not-none",
            FallbackReason::Colour => "colour",
            FallbackReason::SmallerEntry => "smaller-entry",
        }
    }
}

pub async fn dax_iomap_pmd_fault(cx: &Cx<'_>, vmf: &Vmf<'_>) -> VmFault {
    let _f = cx.enter(Func::DaxIomapPmdFault);
    let at = Location::caller();
    let vma = vmf.vma;
    let pmd_addr = vmf.address & PMD_MASK;
    let pgoff = vma.linear_page_index(pmd_addr);
    // (i_size - 1) >> PAGE_SHIFT computed on a signed loff_t, as the kernel does: an empty
    // file gives -1, i.e. ULONG_MAX.
    let max_pgoff = ((cx.k.inode.i_size() as i64 - 1) >> PAGE_SHIFT) as u64;
    cx.fault_begin(at, vmf, PeSize::Pmd);

    let result = if vmf.write && !vma.shared {
        cx.fallback(at, vmf, FallbackReason::CowWrite)
    } else if pmd_addr < vma.vm_start {
        cx.fallback(at, vmf, FallbackReason::VmaStart)
    } else if pmd_addr + PMD_SIZE > vma.vm_end {
        cx.fallback(at, vmf, FallbackReason::VmaEnd)
    } else if pgoff > max_pgoff {
        return cx.fault_done(at, vmf, PeSize::Pmd, VmFault::SIGBUS);
    } else if (pgoff | PG_PMD_COLOUR) > max_pgoff {
        cx.fallback(at, vmf, FallbackReason::BeyondEof)
    } else {
        pmd_fault_mapped_range(cx, vmf, pgoff, at).await
    };

    if result == VmFault::FALLBACK {
        split_huge_pmd(cx, vmf).await;
    }
    cx.fault_done(at, vmf, PeSize::Pmd, result)
}

/// From iomap_begin to iomap_end: the part of the PMD fault that holds an extent.
async fn pmd_fault_mapped_range(cx: &Cx<'_>, vmf: &Vmf<'_>, pgoff: u64, at: &'static Location<'static>) -> VmFault {
    let mapping = &cx.k.mapping;
    let pos = pgoff << PAGE_SHIFT;
    let iomap_flags = IOMAP_FAULT | if vmf.write { IOMAP_WRITE } else { 0 };
    let Ok(iomap) = cx.iomap_begin(pos, PMD_SIZE, iomap_flags).await else {
        return cx.fallback(at, vmf, FallbackReason::IomapError);
    };

    let result = if iomap.offset + iomap.length < pos + PMD_SIZE {
        cx.fallback(at, vmf, FallbackReason::ShortExtent)
    } else {
        // grab_mapping_entry() makes sure we get a 2 MiB empty entry, a DAX PMD or a huge
        // zero page entry. If it can't (a 4 KiB entry is already in the tree, for
        // instance), it returns -EEXIST and we fall back to 4 KiB entries.
        match grab_mapping_entry(cx, mapping, pgoff, RADIX_DAX_PMD).await {
            Err(crate::kernel::Errno::Enomem) => cx.fallback(at, vmf, FallbackReason::GrabEnomem),
            Err(_) => cx.fallback(at, vmf, FallbackReason::GrabEexist),
            Ok(mut entry) => {
                let result = match iomap.kind {
                    IomapType::Mapped => dax_pmd_insert_mapping(cx, vmf, &iomap, pos, &mut entry).await,
                    IomapType::Unwritten | IomapType::Hole if vmf.write => {
                        cx.warn(
                            at,
                            Invariant::Warn {
                                what: "PMD write fault on a hole the filesystem did not allocate".into(),
                            },
                        );
                        cx.fallback(at, vmf, FallbackReason::WriteToHole)
                    }
                    IomapType::Unwritten | IomapType::Hole => dax_pmd_load_hole(cx, vmf, &mut entry).await,
                };
                put_locked_mapping_entry(cx, mapping, pgoff, entry).await;
                result
            }
        }
    };
    let copied = if result == VmFault::FALLBACK { 0 } else { PMD_SIZE };
    cx.iomap_end(pos, PMD_SIZE, copied);
    result
}

/// dax_pmd_insert_mapping(): the pfn must be 2 MiB aligned; record the PMD entry, then
/// install the huge PMD with vmf_insert_pfn_pmd().
async fn dax_pmd_insert_mapping(cx: &Cx<'_>, vmf: &Vmf<'_>, iomap: &IomapDesc, pos: u64, entry: &mut Item) -> VmFault {
    let _f = cx.enter(Func::DaxPmdInsertMapping);
    let at = Location::caller();
    let sector = iomap.sector(pos);
    let pfn = pfn_of_sector(sector);
    if pfn & PG_PMD_COLOUR != 0 {
        return cx.fallback(at, vmf, FallbackReason::PfnUnaligned);
    }
    match dax_insert_mapping_entry(cx, &cx.k.mapping, vmf, *entry, sector, RADIX_DAX_PMD).await {
        Err(_) => cx.fallback(at, vmf, FallbackReason::InsertEntryError),
        Ok(new) => {
            *entry = new;
            vmf_insert_pfn_pmd(cx, vmf, pfn, vmf.write).await
        }
    }
}

/// dax_pmd_load_hole(): map the huge zero page for a read of a 2 MiB hole. The radix entry
/// becomes a huge-zero-page entry even if the PMD slot turns out to be taken.
async fn dax_pmd_load_hole(cx: &Cx<'_>, vmf: &Vmf<'_>, entry: &mut Item) -> VmFault {
    let _f = cx.enter(Func::DaxPmdLoadHole);
    let at = Location::caller();
    mm_get_huge_zero_page(vmf);
    match dax_insert_mapping_entry(cx, &cx.k.mapping, vmf, *entry, 0, RADIX_DAX_PMD | RADIX_DAX_HZP).await {
        Err(_) => return cx.fallback(at, vmf, FallbackReason::InsertEntryError),
        Ok(new) => *entry = new,
    }
    if !set_huge_zero_pmd(cx, vmf).await {
        return cx.fallback(at, vmf, FallbackReason::LoadHolePmdNotNone);
    }
    VmFault::NOPAGE
}
