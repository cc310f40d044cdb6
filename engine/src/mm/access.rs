//! User-space loads and stores through the page tables: the MMU walk, and on a miss the
//! fault and the retry of the access.

use super::memory::{read_phys, write_phys};
use super::{Mm, PMD_SIZE, PmdSlot, VmFault, handle_mm_fault};
use crate::footprint::{self, Mode};
use crate::sim::{Cx, ThreadEnd};
use crate::trace::EventKind;
use crate::trace::Func;
use std::panic::Location;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Load,
    Store(u64),
}

/// The most faults one access may take before the model calls it a livelock.
const MAX_FAULTS_PER_ACCESS: u32 = 32;

/// One 8-byte access at `addr`. Returns the value loaded (or stored).
pub async fn user_access(cx: &Cx<'_>, mm: &Mm, addr: u64, access: Access) -> Result<u64, ThreadEnd> {
    let _f = cx.enter(Func::UserAccess);
    let write = matches!(access, Access::Store(_));
    for _ in 0..MAX_FAULTS_PER_ACCESS {
        if let Some(v) = mmu_access(cx, mm, addr, access).await {
            return Ok(v);
        }
        let Some(vma) = mm.find_vma(addr) else {
            return Err(ThreadEnd::Sigbus { addr });
        };
        let ret = handle_mm_fault(cx, mm, vma, addr, write).await;
        if ret.intersects(VmFault::OOM) {
            return Err(ThreadEnd::Oom { addr });
        }
        if ret.intersects(VmFault::SIGBUS | VmFault::SIGSEGV) {
            return Err(ThreadEnd::Sigbus { addr });
        }
    }
    Err(ThreadEnd::Livelock { addr })
}

/// What the MMU walk touches: the PMD slot, and the PTE if the slot is a table; a store
/// sets the dirty bit of whichever maps the address.
fn declare_walk(mm: &Mm, addr: u64, write: bool) {
    if !footprint::recording() {
        return;
    }
    let huge = mm.pt.with(|pt| matches!(pt.slot(addr), Some(PmdSlot::HugeDevmap { .. } | PmdSlot::HugeZero { .. })));
    let mode = if write { Mode::Write } else { Mode::Read };
    if huge {
        footprint::touch(mm.pmd_obj(addr), mode);
    } else {
        footprint::reads(mm.pmd_obj(addr));
        footprint::touch(mm.pte_obj(addr), mode);
    }
}

/// The MMU: walk the tables and, if a mapping with the right permission is present, do
/// the access (setting the dirty bit on a store). None means the access faults.
async fn mmu_access(cx: &Cx<'_>, mm: &Mm, addr: u64, access: Access) -> Option<u64> {
    let at = Location::caller();
    cx.sched(at).await;
    let write = matches!(access, Access::Store(_));
    declare_walk(mm, addr, write);
    let phys = mm.pt.with(|pt| match pt.slot_mut(addr)? {
        PmdSlot::HugeDevmap { pfn, write: w, dirty, .. } => {
            if write && !*w {
                return None;
            }
            *dirty |= write;
            Some(Some((*pfn << 12) + (addr & (PMD_SIZE - 1))))
        }
        PmdSlot::HugeZero { .. } => (!write).then_some(None),
        PmdSlot::Table { ptes, .. } => {
            let pte = ptes.get_mut(&super::pagetable::pte_index(addr))?;
            if write && !pte.write {
                return None;
            }
            pte.dirty |= write;
            Some(Some((pte.pfn << 12) + (addr & 0xfff)))
        }
    })?;
    let value = match (access, phys) {
        (Access::Store(v), Some(p)) => {
            write_phys(cx, p, &v.to_le_bytes());
            if let Some(vma) = mm.find_vma(addr)
                && vma.shared
            {
                cx.record_store((vma.linear_page_index(addr) << 12) | (addr & 0xfff), v);
            }
            v
        }
        (Access::Store(v), None) => v,
        (Access::Load, Some(p)) => {
            let mut b = [0u8; 8];
            read_phys(cx, p, &mut b);
            u64::from_le_bytes(b)
        }
        (Access::Load, None) => 0,
    };
    let phys = phys.unwrap_or(0);
    cx.emit(at, || match access {
        Access::Store(_) => EventKind::Store { mm: mm.id, addr, value, phys },
        Access::Load => EventKind::Load { mm: mm.id, addr, value, phys },
    });
    Some(value)
}
