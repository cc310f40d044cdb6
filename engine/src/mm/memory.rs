//! The PTE installers of mm/memory.c and the walks they make (v4.11).
//!
//! Every installer looks at the PMD slot unlocked, allocates and populates a PTE table under
//! the PMD lock if the slot was empty, takes the PTE page from the slot again
//! (pte_offset_map_lock), and only then, under the PTE lock, writes the PTE. Each of those
//! is a scheduling step of its own, because each ends the kernel's atomicity: the PTE lock
//! does not stop the slot changing above it. Which installers test the slot again before
//! taking the PTE page decides whether a racing fault ends in a harmless retry or in a PTE
//! written through a huge PMD.

use super::pagetable::pte_index;
use super::pgtable_generic::{pmd_devmap, pmd_load, pmd_none, pmd_trans_unstable};
use super::{Mm, MmCounter, PageField, Pages, PmdKind, PmdSlot, Pte, PteKind, VmFault, Vmf};
use crate::check::Invariant;
use crate::footprint::{self, Mode, Obj, ObjKind};
use crate::kernel::Errno;
use crate::pmem::{is_pmem_pfn, pmem_offset};
use crate::sim::Cx;
use crate::trace::{EventKind, Func};
use std::panic::Location;

/// The PTE page a walk took from a PMD slot: PTE table `serial`. The walk keeps using it
/// even if the slot changes afterwards.
#[derive(Copy, Clone, Debug)]
pub(super) struct PtePage {
    serial: u32,
}

/// pte_offset_map() (with pte_lockptr() for pte_offset_map_lock()): the PTE page, and the
/// PTE at `addr` in it now. The kernel loads the slot once for the lock and once for the
/// pointer; this is one step (see docs/scenarios.md, "Scheduling points"). Nothing here
/// checks what the slot holds: through a huge PMD the "PTE page" is the first 4 KiB of the
/// huge mapping's pmem — the seed race's "die horribly" — and through an empty slot it is
/// page frame 0. Either is a bug, and the run stops there.
async fn pte_offset_map(
    cx: &Cx<'_>,
    mm: &Mm,
    addr: u64,
    at: &'static Location<'static>,
) -> Option<(PtePage, Option<Pte>)> {
    cx.sched(at).await;
    footprint::reads(mm.pmd_obj(addr));
    footprint::reads(mm.pte_obj(addr));
    let (slot, found) = mm.pt.with(|pt| match pt.slot(addr) {
        Some(PmdSlot::Table { serial, ptes }) => {
            (PmdKind::Table, Some((PtePage { serial: *serial }, ptes.get(&pte_index(addr)).copied())))
        }
        other => (PmdKind::of(other), None),
    });
    match (found, slot) {
        (Some((ptp, _)), _) => cx.emit(at, || EventKind::PteMap { mm: mm.id, addr, table: ptp.serial }),
        (None, PmdKind::None) => cx.bug(at, Invariant::PteWalkOnNonePmd { addr }),
        (None, huge) => cx.bug(at, Invariant::PteUnderHugePmd { addr, pmd: huge }),
    }
    found
}

/// What a step under the PTE lock did to the PTE at one address.
enum PteUpdate {
    /// Wrote this PTE (`counted`: into MM_FILEPAGES or MM_ANONPAGES by kind).
    Set { pte: Pte, counted: bool },
    /// Replaced `old` with a private copy: one file page less, one anonymous page more.
    Copied { old: Pte, pte: Pte },
}

/// `spin_lock(ptl)` … `pte_unmap_unlock()` around one PTE update of the page `ptp`, as one
/// step: every holder of a PTE lock does its whole critical section in one step, so no
/// other thread ever finds one held. `update` sees the PTE there now and says what to write,
/// if anything. The write goes to the table the walk took even if the slot no longer points
/// to it: the PTE is then lost to everyone, but the rss counters still move, which exit
/// reports as "Bad rss-counter state".
async fn with_pte_lock(
    cx: &Cx<'_>,
    mm: &Mm,
    addr: u64,
    ptp: PtePage,
    at: &'static Location<'static>,
    update: impl FnOnce(Option<Pte>) -> Option<PteUpdate>,
) -> bool {
    cx.sched(at).await;
    // Whether the table is still the slot's decides where the PTE goes.
    footprint::reads(mm.pmd_obj(addr));
    footprint::writes(mm.pte_obj(addr));
    footprint::adds(mm.counter_obj(MmCounter::RssFile));
    footprint::adds(mm.counter_obj(MmCounter::RssAnon));
    let done = mm.pt.with(|pt| {
        let (ptes, live) = pt.ptes_of(addr, ptp.serial)?;
        let update = update(ptes.get(&pte_index(addr)).copied())?;
        let (pte, rss) = match update {
            PteUpdate::Set { pte, counted } => (pte, if counted { rss_delta(pte, 1) } else { [0, 0] }),
            PteUpdate::Copied { old, pte } => {
                let [f, a] = rss_delta(old, -1);
                (pte, [f, a + 1])
            }
        };
        ptes.insert(pte_index(addr), pte);
        pt.rss[0] += rss[0];
        pt.rss[1] += rss[1];
        Some((pte, live))
    });
    match done {
        Some((pte, true)) => cx.emit(at, || EventKind::PteInstall { mm: mm.id, addr, pte }),
        Some((pte, false)) => cx.emit(at, || EventKind::OrphanPteInstall { mm: mm.id, addr, table: ptp.serial, pte }),
        None => cx.emit(at, || EventKind::PteBusy { mm: mm.id, addr }),
    }
    done.is_some()
}

/// The rss counters (MM_FILEPAGES, MM_ANONPAGES) a PTE of this kind counts in.
fn rss_delta(pte: Pte, by: i64) -> [i64; 2] {
    match pte.kind {
        PteKind::File { .. } => [by, 0],
        PteKind::Anon { .. } => [0, by],
        PteKind::Devmap => [0, 0],
    }
}

/// pte_alloc(): `pmd_none(*pmd) && __pte_alloc()`.
async fn pte_alloc(cx: &Cx<'_>, mm: &Mm, addr: u64) {
    let _f = cx.enter(Func::PteAlloc);
    if pmd_none(cx, mm, addr).await {
        __pte_alloc(cx, mm, addr).await;
    }
}

/// __pte_alloc(): pte_alloc_one() allocates the PTE page outside any lock (GFP_KERNEL, it
/// may sleep); then, under the PMD lock, the slot is populated only if it is still empty.
/// It reports success even when the slot turned into something else meanwhile.
async fn __pte_alloc(cx: &Cx<'_>, mm: &Mm, addr: u64) {
    let at = Location::caller();
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

/// vm_insert_mixed() → insert_pfn() → get_locked_pte(): pte_alloc(), then
/// pte_offset_map_lock() on whatever the slot holds by then — no test that it is still a
/// PTE table — and under the PTE lock -EBUSY if a PTE is present, else a devmap PTE.
pub async fn vm_insert_mixed(cx: &Cx<'_>, vmf: &Vmf<'_>, addr: u64, pfn: u64) -> Result<(), Errno> {
    let _f = cx.enter(Func::VmInsertMixed);
    let at = Location::caller();
    // (__get_locked_pte's VM_BUG_ON(pmd_trans_huge(*pmd)) exists only with CONFIG_DEBUG_VM.)
    pte_alloc(cx, vmf.mm, addr).await;
    let Some((ptp, _)) = pte_offset_map(cx, vmf.mm, addr, at).await else {
        return Err(Errno::Efault);
    };
    // vm_page_prot of a shared DAX vma lacks write (it wants write notification), so the
    // PTE starts read-only and the first store takes a pfn_mkwrite fault.
    let pte = Pte { pfn, write: false, dirty: false, kind: PteKind::Devmap };
    let set =
        with_pte_lock(cx, vmf.mm, addr, ptp, at, |cur| cur.is_none().then_some(PteUpdate::Set { pte, counted: false }))
            .await;
    if set { Ok(()) } else { Err(Errno::Ebusy) }
}

/// vmf_insert_mixed_mkwrite() (v4.17 on), for a write fault: insert_pfn() with `mkwrite`,
/// so the PTE is born writable and dirty, and a present PTE of the same pfn is made so; a
/// present PTE of another pfn is left alone (the kernel WARNs unless it is the zero page)
/// and the fault returns, to be taken again.
pub async fn vm_insert_mixed_mkwrite(cx: &Cx<'_>, vmf: &Vmf<'_>, addr: u64, pfn: u64) -> Result<(), Errno> {
    let _f = cx.enter(Func::VmInsertMixed);
    let at = Location::caller();
    pte_alloc(cx, vmf.mm, addr).await;
    let Some((ptp, _)) = pte_offset_map(cx, vmf.mm, addr, at).await else {
        return Err(Errno::Efault);
    };
    let pte = Pte { pfn, write: true, dirty: true, kind: PteKind::Devmap };
    let set = with_pte_lock(cx, vmf.mm, addr, ptp, at, |cur| match cur {
        None => Some(PteUpdate::Set { pte, counted: false }),
        Some(old) if old.pfn == pfn => {
            Some(PteUpdate::Set { pte: Pte { write: true, dirty: true, ..old }, counted: false })
        }
        Some(_) => None,
    })
    .await;
    if set { Ok(()) } else { Err(Errno::Ebusy) }
}

/// The zero page's pfn, which dax_load_hole() maps read-only for a read of a 4 KiB hole
/// (XArray era; before v4.15 a hole was a page-cache page). Neither DRAM nor pmem in the
/// model's physical map, so reads through it see zeros.
pub const ZERO_PFN: u64 = 0x1000;

/// `pmd_trans_huge(*pmd) || pmd_devmap(*pmd)` as a fault reads it, unlocked: one load.
pub(crate) async fn pmd_is_huge(cx: &Cx<'_>, mm: &Mm, addr: u64) -> bool {
    pmd_load(cx, mm, addr).await.kind.is_huge()
}

/// `!pmd_none(*pmd) && !pmd_trans_huge(*pmd) && !pmd_devmap(*pmd)`, one load: a PTE table is
/// there.
pub(crate) async fn pmd_is_table(cx: &Cx<'_>, mm: &Mm, addr: u64) -> bool {
    pmd_load(cx, mm, addr).await.kind == PmdKind::Table
}

/// pte_alloc_one_map() (the DAX faults never bring a preallocated table): pte_alloc(),
/// then the 4.11 guard — pmd_trans_unstable() before pmd_devmap(), so a DAX huge PMD met
/// here is a "bad pmd", cleared — and pte_offset_map_lock(). NOPAGE sends the fault back
/// to retry.
async fn pte_alloc_one_map(cx: &Cx<'_>, vmf: &Vmf<'_>, at: &'static Location<'static>) -> Result<PtePage, VmFault> {
    let (mm, addr) = (vmf.mm, vmf.address);
    // `if (!pmd_none(*pmd)) goto map_pte;` and pte_alloc()'s own pmd_none() are two loads;
    // one step here (docs/scenarios.md, "Scheduling points").
    pte_alloc(cx, mm, addr).await;
    if pmd_trans_unstable(cx, mm, addr).await || pmd_devmap(cx, mm, addr).await {
        return Err(VmFault::NOPAGE);
    }
    pte_offset_map(cx, mm, addr, at).await.map(|(ptp, _)| ptp).ok_or(VmFault::NOPAGE)
}

/// finish_fault() → alloc_set_pte() for a page (a hole page, or the COW copy of a private
/// write). Its do_set_pmd() branch is for compound pages only, never a DAX fault's.
pub async fn finish_fault(cx: &Cx<'_>, vmf: &Vmf<'_>, page: u32) -> VmFault {
    let _f = cx.enter(Func::FinishFault);
    let at = Location::caller();
    let ptp = match pte_alloc_one_map(cx, vmf, at).await {
        Ok(ptp) => ptp,
        Err(ret) => return ret,
    };
    let anon = cx.k.pages.get(page, PageField::Anon, |p| p.anon);
    let pte = Pte {
        pfn: Pages::pfn(page),
        write: vmf.cow(),
        dirty: vmf.cow(),
        kind: if anon { PteKind::Anon { page } } else { PteKind::File { page } },
    };
    let set = with_pte_lock(cx, vmf.mm, vmf.address, ptp, at, |cur| {
        cur.is_none().then_some(PteUpdate::Set { pte, counted: true })
    })
    .await;
    if set { VmFault::NONE } else { VmFault::NOPAGE }
}

/// finish_mkwrite_fault() → wp_page_reuse(): take the PTE page again and make the PTE
/// writable if it is still the one the fault started from.
pub(crate) async fn finish_mkwrite_fault(cx: &Cx<'_>, vmf: &Vmf<'_>, orig: Pte) -> VmFault {
    let _f = cx.enter(Func::FinishMkwriteFault);
    let at = Location::caller();
    let Some((ptp, _)) = pte_offset_map(cx, vmf.mm, vmf.address, at).await else {
        return VmFault::NOPAGE;
    };
    let pte = Pte { write: true, dirty: true, ..orig };
    let reused = with_pte_lock(cx, vmf.mm, vmf.address, ptp, at, |cur| {
        (cur == Some(orig)).then_some(PteUpdate::Set { pte, counted: false })
    })
    .await;
    if reused { VmFault::NONE } else { VmFault::NOPAGE }
}

/// wp_page_copy(): a write to a read-only PTE of a private mapping gets its own copy of
/// the page's current contents, installed if the PTE is still the one the fault started
/// from.
pub(super) async fn wp_page_copy(cx: &Cx<'_>, vmf: &Vmf<'_>, orig: Pte) -> VmFault {
    let _f = cx.enter(Func::WpPageCopy);
    let at = Location::caller();
    let copy = cx.k.pages.alloc(true, None);
    let mut buf = [0u8; 4096];
    read_phys(cx, orig.pfn << 12, &mut buf);
    cx.k.pages.write(copy, 0, &buf);
    let Some((ptp, _)) = pte_offset_map(cx, vmf.mm, vmf.address, at).await else {
        return VmFault::NONE;
    };
    let pte = Pte { pfn: Pages::pfn(copy), write: true, dirty: true, kind: PteKind::Anon { page: copy } };
    with_pte_lock(cx, vmf.mm, vmf.address, ptp, at, |cur| {
        (cur == Some(orig)).then_some(PteUpdate::Copied { old: orig, pte })
    })
    .await;
    VmFault::NONE
}

/// handle_pte_fault()'s walk, after the guard: pte_offset_map() and the read of the PTE
/// (`vmf->orig_pte`), one step. None: the PTE is empty.
pub(super) async fn pte_offset_map_read(cx: &Cx<'_>, vmf: &Vmf<'_>) -> Result<Option<Pte>, VmFault> {
    let at = Location::caller();
    match pte_offset_map(cx, vmf.mm, vmf.address, at).await {
        Some((_, pte)) => Ok(pte),
        None => Err(VmFault::NOPAGE),
    }
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

/// pfn_mkclean_range() (v5.19, 06083a0921fd): in `vma`, write-protect and clean every PTE
/// and huge PMD that maps a page of [pfn, pfn + count) and is dirty or writable, walking
/// the rmap of the pages rather than one address. One step: the walk holds each page-table
/// lock in turn, and nothing the model runs takes them in between.
pub async fn pfn_mkclean_range(cx: &Cx<'_>, mm: &Mm, vma: &super::Vma, pfn: u64, count: u64, index: u64) {
    let _f = cx.enter(Func::PfnMkcleanRange);
    let at = Location::caller();
    cx.sched(at).await;
    // What mkclean_one() declares, over every address the walk looks at.
    let addrs = (0..count).filter_map(|i| vma.address_of(index + i));
    if let (Some(lo), Some(hi)) = (addrs.clone().min(), addrs.max()) {
        let span = |kind, shift| Obj { kind, space: u32::from(mm.id), lo: lo >> shift, hi: hi >> shift };
        footprint::writes(span(ObjKind::Pmd, super::PMD_SHIFT));
        footprint::writes(span(ObjKind::Pte, super::PAGE_SHIFT));
    }
    let mut cleaned = Vec::new();
    mm.pt.with(|pt| {
        for i in 0..count {
            let Some(addr) = vma.address_of(index + i) else { continue };
            match pt.slot_mut(addr) {
                Some(PmdSlot::HugeDevmap { pfn: p, write, dirty, .. }) if *p == pfn && i == 0 && (*write || *dirty) => {
                    *write = false;
                    *dirty = false;
                    cleaned.push((addr & !(super::PMD_SIZE - 1), pfn, true));
                }
                Some(PmdSlot::Table { ptes, .. }) => {
                    if let Some(pte) = ptes.get_mut(&pte_index(addr))
                        && pte.pfn == pfn + i
                        && (pte.write || pte.dirty)
                    {
                        pte.write = false;
                        pte.dirty = false;
                        cleaned.push((addr, pfn + i, false));
                    }
                }
                _ => {}
            }
        }
    });
    for (addr, pfn, huge) in cleaned {
        cx.emit(at, || EventKind::Mkclean { mm: mm.id, addr, pfn, huge });
    }
}
