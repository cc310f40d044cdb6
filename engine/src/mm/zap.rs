//! Zapping and cleaning mappings of the file (mm/memory.c): unmap_mapping_range() with its
//! zap of huge PMDs and PTEs, page_mapped(), and follow_pte_pmd() for
//! dax_mapping_entry_mkclean().

use super::pagetable::pte_index;
use super::{Mm, MmCounter, PMD_SIZE, PageTables, PmdKind, PmdSlot, PteKind};
use crate::footprint::{self, ObjKind};
use crate::sim::Cx;
use crate::trace::{EventKind, Func};
use std::panic::Location;

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
