//! PTE-level installers and walks (mm/memory.c). Which of them look at the PMD slot again
//! under a lock decides whether a racing fault ends in a harmless retry or a PTE written
//! through a huge PMD.

use super::pagetable::pte_index;
use super::{Mm, MmCounter, PMD_SIZE, PageField, PageTables, Pages, PmdKind, PmdSlot, Pte, PteKind, VmFault, Vmf};
use crate::check::{Invariant, Note};
use crate::footprint::{self, Mode, ObjKind};
use crate::kernel::Errno;
use crate::pmem::{is_pmem_pfn, pmem_offset};
use crate::sim::Cx;
use crate::trace::EventKind;
use crate::trace::Func;
use std::panic::Location;

/// What an unlocked read of a PMD slot saw.
#[derive(Copy, Clone, Debug)]
pub(super) struct PmdSnap {
    pub kind: PmdKind,
    /// For a huge mapping: is it writable?
    pub write: bool,
}

/// `pmd_none(*pmd)` and friends: an unlocked read of the slot.
pub(super) async fn pmd_read(cx: &Cx<'_>, mm: &Mm, addr: u64) -> PmdSnap {
    let at = Location::caller();
    cx.sched(at).await;
    footprint::reads(mm.pmd_obj(addr));
    let snap = mm.pt.with(|pt| match pt.slot(addr) {
        Some(PmdSlot::HugeDevmap { write, .. }) => PmdSnap { kind: PmdKind::HugeDevmap, write: *write },
        other => PmdSnap { kind: PmdKind::of(other), write: false },
    });
    cx.emit(at, || EventKind::PmdCheck { mm: mm.id, addr, slot: snap.kind });
    snap
}

pub(super) enum PteGuard {
    /// The fault is retried (the slot was huge).
    Retry,
    /// No PTE table, or an empty PTE: ->fault will install one.
    NoPte,
    Present(Pte),
}

/// pmd_none_or_trans_huge_or_clear_bad() as 4.11 applies it, pmd_trans_unstable() before
/// pmd_devmap(). A DAX huge PMD is not pmd_trans_huge on x86 (the devmap bit excludes it),
/// so it falls to pmd_bad(): "bad pmd" is printed and the slot is cleared.
async fn pmd_guard(cx: &Cx<'_>, mm: &Mm, addr: u64, at: &'static Location<'static>) -> Option<PmdKind> {
    let old = mm.pt.with(|pt| {
        let kind = pt.kind(addr);
        if kind == PmdKind::HugeDevmap {
            pt.clear(addr);
        }
        kind
    });
    // Clearing a huge mapping leaves no PTEs behind that were not there before.
    footprint::touch(mm.pmd_obj(addr), if old == PmdKind::HugeDevmap { Mode::Write } else { Mode::Read });
    match old {
        PmdKind::HugeDevmap => {
            cx.emit(at, || EventKind::BadPmd { mm: mm.id, addr, old });
            cx.note(Note::BadPmdCleared);
            None
        }
        PmdKind::HugeZero => None,
        k => Some(k),
    }
}

/// handle_pte_fault()'s look at the slot and the PTE under it.
pub(super) async fn pte_fault_guard(cx: &Cx<'_>, vmf: &Vmf<'_>) -> PteGuard {
    let at = Location::caller();
    cx.sched(at).await;
    cx.emit(at, || EventKind::PmdCheck {
        mm: vmf.mm.id,
        addr: vmf.address,
        slot: vmf.mm.pt.with(|pt| pt.kind(vmf.address)),
    });
    match pmd_guard(cx, vmf.mm, vmf.address, at).await {
        None => PteGuard::Retry,
        Some(PmdKind::None) => PteGuard::NoPte,
        Some(_) => match vmf.mm.pt.with(|pt| {
            footprint::reads(vmf.mm.pte_obj(vmf.address));
            pt.pte(vmf.address)
        }) {
            Some(pte) => PteGuard::Present(pte),
            None => PteGuard::NoPte,
        },
    }
}

/// pte_alloc(): `pmd_none(*pmd) && __pte_alloc()`. The PTE page is allocated outside any
/// lock; the PMD lock is then taken and the slot populated only if it is still empty.
/// __pte_alloc() reports success even when the slot turned into something else meanwhile.
async fn pte_alloc(cx: &Cx<'_>, mm: &Mm, addr: u64) {
    let _f = cx.enter(Func::PteAlloc);
    let at = Location::caller();
    cx.sched(at).await;
    footprint::reads(mm.pmd_obj(addr));
    let slot = mm.pt.with(|pt| pt.kind(addr));
    cx.emit(at, || EventKind::PmdCheck { mm: mm.id, addr, slot });
    if slot != PmdKind::None {
        return;
    }
    cx.sched(at).await;
    let populated = mm.pt.with(|pt| {
        if pt.kind(addr) != PmdKind::None {
            return false;
        }
        let table = pt.new_table();
        pt.set(addr, table);
        pt.nr_ptes += 1;
        true
    });
    // A new table is empty: the PTEs under the slot are what they were (none).
    footprint::touch(mm.pmd_obj(addr), if populated { Mode::Write } else { Mode::Read });
    if populated {
        footprint::adds(mm.counter_obj(MmCounter::NrPtes));
        footprint::adds(mm.counter_obj(MmCounter::TableSerial));
    }
    cx.emit(at, || EventKind::PteTableAlloc { mm: mm.id, addr, populated });
}

/// The PTE step of insert_pfn(): pte_offset_map_lock() on whatever the slot holds now,
/// with no check that it is still a PTE table. Through a huge PMD the "PTE page" is the
/// first 4 KiB of the huge mapping's pmem: that is the seed race's "die horribly".
async fn insert_pfn_locked(cx: &Cx<'_>, vmf: &Vmf<'_>, addr: u64, pfn: u64) -> Result<(), Errno> {
    let at = Location::caller();
    cx.sched(at).await;
    footprint::reads(vmf.mm.pmd_obj(addr));
    let kind = vmf.mm.pt.with(|pt| pt.kind(addr));
    match kind {
        PmdKind::HugeDevmap | PmdKind::HugeZero => {
            cx.bug(at, Invariant::PteUnderHugePmd { addr, pmd: kind });
            return Err(Errno::Efault);
        }
        PmdKind::None => {
            cx.bug(at, Invariant::PteWalkOnNonePmd { addr });
            return Err(Errno::Efault);
        }
        PmdKind::Table => {}
    }
    // vm_page_prot of a shared DAX vma lacks write (it wants write notification), so the
    // PTE starts read-only and the first store takes a pfn_mkwrite fault.
    let pte = Pte { pfn, write: false, dirty: false, kind: PteKind::Devmap };
    footprint::writes(vmf.mm.pte_obj(addr));
    let installed = vmf.mm.pt.with(|pt| {
        let Some(PmdSlot::Table { ptes, .. }) = pt.slot_mut(addr) else {
            return false;
        };
        if ptes.contains_key(&pte_index(addr)) {
            return false;
        }
        ptes.insert(pte_index(addr), pte);
        true
    });
    if installed {
        cx.emit(at, || EventKind::PteInstall { mm: vmf.mm.id, addr, pte });
        Ok(())
    } else {
        cx.emit(at, || EventKind::PteBusy { mm: vmf.mm.id, addr });
        Err(Errno::Ebusy)
    }
}

/// vm_insert_mixed() → insert_pfn() → __get_locked_pte(): -EBUSY if a PTE is present.
pub async fn vm_insert_mixed(cx: &Cx<'_>, vmf: &Vmf<'_>, addr: u64, pfn: u64) -> Result<(), Errno> {
    let _f = cx.enter(Func::VmInsertMixed);
    pte_alloc(cx, vmf.mm, addr).await;
    insert_pfn_locked(cx, vmf, addr, pfn).await
}

/// finish_fault() → alloc_set_pte() for a page (a hole page, or the COW copy of a private
/// write): pte_alloc_one_map() checks the slot again after allocating, so a huge PMD that
/// appeared meanwhile sends the fault back to retry instead of into the PMD's memory.
pub async fn finish_fault(cx: &Cx<'_>, vmf: &Vmf<'_>, page: u32) -> VmFault {
    let _f = cx.enter(Func::FinishFault);
    let at = Location::caller();
    pte_alloc(cx, vmf.mm, vmf.address).await;
    cx.sched(at).await;
    match pmd_guard(cx, vmf.mm, vmf.address, at).await {
        Some(PmdKind::Table) => {}
        _ => return VmFault::NOPAGE,
    }
    let anon = cx.k.pages.get(page, PageField::Anon, |p| p.anon);
    let pte = Pte {
        pfn: Pages::pfn(page),
        write: vmf.cow(),
        dirty: vmf.cow(),
        kind: if anon { PteKind::Anon { page } } else { PteKind::File { page } },
    };
    let addr = vmf.address;
    footprint::writes(vmf.mm.pte_obj(addr));
    footprint::adds(vmf.mm.counter_obj(if anon { MmCounter::RssAnon } else { MmCounter::RssFile }));
    let set = vmf.mm.pt.with(|pt| {
        let Some(PmdSlot::Table { ptes, .. }) = pt.slot_mut(addr) else {
            return false;
        };
        if ptes.contains_key(&pte_index(addr)) {
            return false;
        }
        ptes.insert(pte_index(addr), pte);
        pt.rss[usize::from(anon)] += 1;
        true
    });
    if !set {
        return VmFault::NOPAGE;
    }
    cx.emit(at, || EventKind::PteInstall { mm: vmf.mm.id, addr, pte });
    VmFault::NONE
}

/// finish_mkwrite_fault() → wp_page_reuse(): make the PTE writable if it is still the one
/// the fault started from.
pub(crate) async fn finish_mkwrite_fault(cx: &Cx<'_>, vmf: &Vmf<'_>, orig: Pte) -> VmFault {
    let _f = cx.enter(Func::FinishMkwriteFault);
    let at = Location::caller();
    cx.sched(at).await;
    let addr = vmf.address;
    footprint::reads(vmf.mm.pmd_obj(addr));
    footprint::writes(vmf.mm.pte_obj(addr));
    let reused = vmf.mm.pt.with(|pt| match pt.slot_mut(addr) {
        Some(PmdSlot::Table { ptes, .. }) => match ptes.get_mut(&pte_index(addr)) {
            Some(p) if *p == orig => {
                p.write = true;
                p.dirty = true;
                Some(*p)
            }
            _ => None,
        },
        _ => None,
    });
    let Some(pte) = reused else {
        return VmFault::NOPAGE;
    };
    cx.emit(at, || EventKind::PteInstall { mm: vmf.mm.id, addr, pte });
    VmFault::NONE
}

/// wp_page_copy(): a write to a read-only PTE of a private mapping gets its own copy of
/// the page's current contents.
pub(super) async fn wp_page_copy(cx: &Cx<'_>, vmf: &Vmf<'_>, orig: Pte) -> VmFault {
    let _f = cx.enter(Func::WpPageCopy);
    let at = Location::caller();
    let copy = cx.k.pages.alloc(true, None);
    let mut buf = [0u8; 4096];
    read_phys(cx, orig.pfn << 12, &mut buf);
    cx.k.pages.write(copy, 0, &buf);
    cx.sched(at).await;
    let addr = vmf.address;
    let pte = Pte { pfn: Pages::pfn(copy), write: true, dirty: true, kind: PteKind::Anon { page: copy } };
    footprint::reads(vmf.mm.pmd_obj(addr));
    footprint::writes(vmf.mm.pte_obj(addr));
    footprint::adds(vmf.mm.counter_obj(MmCounter::RssFile));
    footprint::adds(vmf.mm.counter_obj(MmCounter::RssAnon));
    let replaced = vmf.mm.pt.with(|pt| {
        let Some(PmdSlot::Table { ptes, .. }) = pt.slot_mut(addr) else {
            return false;
        };
        match ptes.get_mut(&pte_index(addr)) {
            Some(p) if *p == orig => {
                *p = pte;
                if let PteKind::File { .. } = orig.kind {
                    pt.rss[0] -= 1;
                }
                pt.rss[1] += 1;
                true
            }
            _ => false,
        }
    });
    if replaced {
        cx.emit(at, || EventKind::PteInstall { mm: vmf.mm.id, addr, pte });
    }
    VmFault::NONE
}

/// Reads memory at a physical address: pmem or a DRAM page.
pub(crate) fn read_phys(cx: &Cx<'_>, phys: u64, buf: &mut [u8]) {
    let pfn = phys >> 12;
    if is_pmem_pfn(pfn) {
        cx.k.pmem.read(pmem_offset(phys), buf);
    } else if let Some(page) = Pages::page_of_pfn(pfn) {
        cx.k.pages.read(page, (phys & 0xfff) as usize, buf);
    }
}

pub(crate) fn write_phys(cx: &Cx<'_>, phys: u64, data: &[u8]) {
    let pfn = phys >> 12;
    if is_pmem_pfn(pfn) {
        cx.k.pmem.write(pmem_offset(phys), data);
    } else if let Some(page) = Pages::page_of_pfn(pfn) {
        cx.k.pages.write(page, (phys & 0xfff) as usize, data);
    }
}

/// unmap_mapping_range(mapping, start, len, even_cows): under i_mmap_rwsem (taken for
/// write, may sleep), zap the file's pages in [start, start+len) from every process; a zero
/// `len` means "to the end of the file". A huge PMD that intersects the range is cleared
/// whole; PTE pages stay (only munmap frees them). Private COW copies are left alone unless
/// `even_cows` (truncate zaps them too: no page may stay mapped beyond EOF).
pub async fn unmap_mapping_range(cx: &Cx<'_>, start: u64, len: u64, even_cows: bool) {
    let _f = cx.enter(Func::UnmapMappingRange);
    let at = Location::caller();
    // i_mmap_lock_write() may sleep: the v4.10 "sleep in atomic context" bug was calling
    // this after radix_tree_preload().
    cx.might_sleep(at);
    cx.sched(at).await;
    cx.emit(at, || EventKind::UnmapRange { start, len });
    let first = start >> 12;
    let last = if len == 0 { u64::MAX } else { (start + len - 1) >> 12 };
    for mm in &cx.k.mms {
        for vma in &mm.vmas {
            zap_vma_range(cx, mm, vma, (first, last), even_cows, at);
        }
    }
}

fn zap_vma_range(
    cx: &Cx<'_>,
    mm: &Mm,
    vma: &super::Vma,
    (first, last): (u64, u64),
    even_cows: bool,
    at: &'static Location<'static>,
) {
    let lo = first.max(vma.vm_pgoff);
    let hi = last.min(vma.linear_page_index(vma.vm_end - 1));
    if lo > hi {
        return;
    }
    let (Some(a0), Some(a1)) = (vma.address_of(lo), vma.address_of(hi)) else {
        return;
    };
    let mut pmd_addr = a0 & !(PMD_SIZE - 1);
    while pmd_addr <= a1 {
        footprint::writes(mm.pmd_obj(pmd_addr));
        footprint::writes(mm.ptes_obj(pmd_addr));
        footprint::adds(mm.counter_obj(MmCounter::RssFile));
        footprint::adds(mm.counter_obj(MmCounter::RssAnon));
        let cleared = mm.pt.with(|pt| zap_pmd(pt, pmd_addr, (a0, a1), even_cows));
        match cleared {
            Some(old) => cx.emit(at, || EventKind::PmdSplit { mm: mm.id, addr: pmd_addr, old }),
            None => cx.emit(at, || EventKind::PteZap {
                mm: mm.id,
                start: a0.max(pmd_addr),
                end: a1.min(pmd_addr + PMD_SIZE - 1),
            }),
        }
        pmd_addr += PMD_SIZE;
    }
}

/// Zaps one PMD slot's part of [a0, a1]; returns the kind of a cleared huge mapping.
fn zap_pmd(pt: &mut PageTables, pmd_addr: u64, (a0, a1): (u64, u64), even_cows: bool) -> Option<PmdKind> {
    match pt.slot_mut(pmd_addr) {
        Some(PmdSlot::HugeDevmap { .. } | PmdSlot::HugeZero { .. }) => {
            let kind = pt.kind(pmd_addr);
            pt.clear(pmd_addr);
            Some(kind)
        }
        Some(PmdSlot::Table { ptes, .. }) => {
            let mut zapped = [0i64; 2];
            ptes.retain(|idx, pte| {
                let addr = pmd_addr + (u64::from(*idx) << 12);
                let anon = matches!(pte.kind, PteKind::Anon { .. });
                let hit = addr >= a0 && addr <= a1 && (even_cows || !anon);
                match pte.kind {
                    PteKind::File { .. } if hit => zapped[0] += 1,
                    PteKind::Anon { .. } if hit => zapped[1] += 1,
                    _ => {}
                }
                !hit
            });
            pt.rss[0] -= zapped[0];
            pt.rss[1] -= zapped[1];
            None
        }
        None => None,
    }
}

/// page_mapped(): whether any process still maps `page` (the model keeps no mapcount; it
/// asks the page tables).
pub(crate) fn page_mapped(cx: &Cx<'_>, page: u32) -> bool {
    cx.k.mms.iter().any(|mm| {
        footprint::reads(mm.all(ObjKind::Pmd));
        footprint::reads(mm.all(ObjKind::Pte));
        mm.pt.with(|pt| {
            pt.pmds.values().any(|slot| match slot {
                PmdSlot::Table { ptes, .. } => ptes.values().any(|p| p.kind == PteKind::File { page }),
                _ => false,
            })
        })
    })
}

/// follow_pte_pmd() plus the body of dax_mapping_entry_mkclean()'s loop for one vma, under
/// the PTE or PMD lock: if the huge PMD or the PTE at `addr` maps `pfn` and is dirty or
/// writable, clear and flush it, write-protect it, clean it and set it back. Returns whether
/// it changed anything.
pub async fn mkclean_one(cx: &Cx<'_>, mm: &Mm, addr: u64, pfn: u64) -> bool {
    let at = Location::caller();
    cx.sched(at).await;
    footprint::writes(mm.pmd_obj(addr));
    footprint::writes(mm.pte_obj(addr));
    let changed = mm.pt.with(|pt| match pt.slot_mut(addr)? {
        PmdSlot::HugeDevmap { pfn: p, write, dirty, .. } if *p == pfn && (*write || *dirty) => {
            *write = false;
            *dirty = false;
            Some(true)
        }
        PmdSlot::Table { ptes, .. } => match ptes.get_mut(&pte_index(addr)) {
            Some(pte) if pte.pfn == pfn && (pte.write || pte.dirty) => {
                pte.write = false;
                pte.dirty = false;
                Some(false)
            }
            _ => None,
        },
        _ => None,
    });
    if let Some(huge) = changed {
        cx.emit(at, || EventKind::Mkclean { mm: mm.id, addr, pfn, huge });
    }
    changed.is_some()
}
