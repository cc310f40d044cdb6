//! Huge PMD installers and split (mm/huge_memory.c) as they behave on a DAX vma.

use super::{MmCounter, PmdKind, PmdSlot, VmFault, Vmf};
use crate::check::{Invariant, Note};
use crate::footprint::{self, Mode};
use crate::sim::Cx;
use crate::trace::EventKind;
use crate::trace::Func;
use std::panic::Location;

/// vmf_insert_pfn_pmd() → insert_pfn_pmd(): under the PMD lock, write a huge devmap PMD
/// unconditionally. Whatever the slot held is overwritten, a PTE table included.
pub async fn vmf_insert_pfn_pmd(cx: &Cx<'_>, vmf: &Vmf<'_>, pfn: u64, write: bool) -> VmFault {
    let _f = cx.enter(Func::VmfInsertPfnPmd);
    let at = Location::caller();
    cx.sched(at).await;
    let addr = vmf.address & super::PMD_MASK;
    // A PTE table under the slot goes with it.
    footprint::writes(vmf.mm.pmd_obj(addr));
    footprint::writes(vmf.mm.ptes_obj(addr));
    let old =
        vmf.mm.pt.with(|pt| pt.overwrite(addr, Some(PmdSlot::HugeDevmap { pfn, write, dirty: write, by: cx.tid })));
    cx.emit(at, || EventKind::PmdInstall { mm: vmf.mm.id, addr, old, new: PmdKind::HugeDevmap, pfn, write });
    if old == PmdKind::Table {
        cx.bug(at, Invariant::HugePmdOverPteTable { addr });
    }
    VmFault::NOPAGE
}

/// split_huge_pmd() on a DAX vma: a huge PMD (devmap or zero) is simply cleared, whoever
/// installed it; an empty slot or a PTE table is left alone.
pub async fn split_huge_pmd(cx: &Cx<'_>, vmf: &Vmf<'_>) {
    let _f = cx.enter(Func::SplitHugePmd);
    let at = Location::caller();
    cx.sched(at).await;
    let addr = vmf.address & super::PMD_MASK;
    let cleared = vmf.mm.pt.with(|pt| {
        let kind = pt.kind(addr);
        kind.is_huge().then(|| {
            pt.clear(addr);
            kind
        })
    });
    footprint::touch(vmf.mm.pmd_obj(addr), if cleared.is_some() { Mode::Write } else { Mode::Read });
    if let Some(old) = cleared {
        cx.emit(at, || EventKind::PmdSplit { mm: vmf.mm.id, addr, old });
        cx.note(Note::FallbackSplitClearedPmd);
    }
}

/// The huge zero page's pfn (the one a real 6.1 capture shows), which an XArray-era DAX
/// entry for a 2 MiB hole records. 2 MiB aligned, and neither DRAM nor pmem in the model.
pub const HUGE_ZERO_PFN: u64 = 0x5e00;

/// mm_get_huge_zero_page(): the global huge zero page always exists in the model; the mm
/// just takes its reference once.
pub(crate) fn mm_get_huge_zero_page(vmf: &Vmf<'_>) {
    // Setting the flag twice is setting it once: the two commute like additions.
    footprint::adds(vmf.mm.counter_obj(MmCounter::HugeZeroRef));
    vmf.mm.pt.with(|pt| pt.huge_zero_ref = true);
}

/// dax_pmd_load_hole()'s install: under the PMD lock, only into an empty slot.
pub(crate) async fn set_huge_zero_pmd(cx: &Cx<'_>, vmf: &Vmf<'_>) -> bool {
    let at = Location::caller();
    cx.sched(at).await;
    let addr = vmf.address & super::PMD_MASK;
    let old = vmf.mm.pt.with(|pt| {
        let old = pt.kind(addr);
        if old == PmdKind::None {
            pt.set(addr, PmdSlot::HugeZero { by: cx.tid });
        }
        old
    });
    footprint::touch(vmf.mm.pmd_obj(addr), if old == PmdKind::None { Mode::Write } else { Mode::Read });
    if old != PmdKind::None {
        return false;
    }
    cx.emit(at, || EventKind::PmdInstall { mm: vmf.mm.id, addr, old, new: PmdKind::HugeZero, pfn: 0, write: false });
    true
}
