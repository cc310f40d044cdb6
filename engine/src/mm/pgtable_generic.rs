//! The unlocked looks at a PMD slot that core mm makes before it acts on it, and the "bad
//! pmd" clear (include/asm-generic/pgtable.h, mm/pgtable-generic.c, v4.11).
//!
//! Each function here is one load of the slot in the kernel, so each is one scheduling
//! step: another CPU can change the slot between any two of them. That is the point of
//! keeping them apart — `pmd_trans_unstable()` reads the slot once and, if it looks bad,
//! `pmd_clear_bad()` stores zero over whatever the slot holds by then, with no lock and no
//! second look. A PTE table populated in between is wiped: "non-zero nr_ptes on freeing
//! mm", and "Bad rss-counter state" if a counted page was mapped in it.

use super::{Mm, PmdKind, PmdSlot};
use crate::check::Note;
use crate::footprint;
use crate::sim::Cx;
use crate::trace::{EventKind, PmdTest};
use std::panic::Location;

/// What one unlocked read of a PMD slot saw.
#[derive(Copy, Clone, Debug)]
pub(crate) struct PmdSnap {
    pub kind: PmdKind,
    /// For a huge mapping: is it writable?
    pub write: bool,
}

/// One load of the slot, as a scheduling step, reported as a `PmdCheck`.
#[track_caller]
pub(crate) fn pmd_load<'a>(cx: &'a Cx<'_>, mm: &'a Mm, addr: u64) -> impl Future<Output = PmdSnap> + 'a {
    let at = Location::caller();
    async move {
        cx.sched(at).await;
        footprint::reads(mm.pmd_obj(addr));
        let snap = mm.pt.with(|pt| match pt.slot(addr) {
            Some(PmdSlot::HugeDevmap { write, .. }) => PmdSnap { kind: PmdKind::HugeDevmap, write: *write },
            other => PmdSnap { kind: PmdKind::of(other), write: false },
        });
        cx.emit(at, || EventKind::PmdCheck { mm: mm.id, addr, slot: snap.kind });
        snap
    }
}

/// `pmd_none(*pmd)`.
#[track_caller]
pub(crate) fn pmd_none<'a>(cx: &'a Cx<'_>, mm: &'a Mm, addr: u64) -> impl Future<Output = bool> + 'a {
    let load = pmd_load(cx, mm, addr);
    async move { load.await.kind == PmdKind::None }
}

/// A load of the slot for one of the guard's tests, reported as a `PmdTest`.
async fn pmd_test(cx: &Cx<'_>, mm: &Mm, addr: u64, test: PmdTest, at: &'static Location<'static>) -> PmdKind {
    cx.sched(at).await;
    footprint::reads(mm.pmd_obj(addr));
    let slot = mm.pt.with(|pt| pt.kind(addr));
    cx.emit(at, || EventKind::PmdTest { mm: mm.id, addr, test, slot });
    slot
}

/// `pmd_trans_unstable()` = pmd_none_or_trans_huge_or_clear_bad(): one atomic read of the
/// slot; none or pmd_trans_huge (the huge zero page) is "unstable"; a DAX huge PMD is not
/// pmd_trans_huge on x86 (its devmap bit excludes it), so it fails pmd_bad() and is
/// cleared by pmd_clear_bad(), a separate step.
#[track_caller]
pub(crate) fn pmd_trans_unstable<'a>(cx: &'a Cx<'_>, mm: &'a Mm, addr: u64) -> impl Future<Output = bool> + 'a {
    let at = Location::caller();
    async move {
        match pmd_test(cx, mm, addr, PmdTest::TransUnstable, at).await {
            PmdKind::None | PmdKind::HugeZero => true,
            PmdKind::Table => false,
            PmdKind::HugeDevmap => {
                pmd_clear_bad(cx, mm, addr, at).await;
                true
            }
        }
    }
}

/// `pmd_devmap(*pmd)`.
#[track_caller]
pub(crate) fn pmd_devmap<'a>(cx: &'a Cx<'_>, mm: &'a Mm, addr: u64) -> impl Future<Output = bool> + 'a {
    let at = Location::caller();
    async move { pmd_test(cx, mm, addr, PmdTest::Devmap, at).await == PmdKind::HugeDevmap }
}

/// pmd_clear_bad(): `pmd_ERROR(*pmd)` prints the slot as it is now, then `pmd_clear(pmd)`
/// stores zero over it. Whatever the slot holds by now goes: a PTE table populated since
/// the read is orphaned with every PTE in it (page tables are freed only under mmap_sem
/// for write, so it stays allocated and counted).
async fn pmd_clear_bad(cx: &Cx<'_>, mm: &Mm, addr: u64, at: &'static Location<'static>) {
    cx.sched(at).await;
    // A PTE table in the slot is orphaned with its PTEs.
    footprint::writes(mm.pmd_obj(addr));
    footprint::writes(mm.ptes_obj(addr));
    let old = mm.pt.with(|pt| pt.overwrite(addr, None));
    cx.emit(at, || EventKind::BadPmd { mm: mm.id, addr, old });
    cx.note(Note::BadPmdCleared);
}
