//! dax_iomap_pte_fault(): the 4 KiB fault.

use super::hole::dax_load_hole;
use super::insert::dax_insert_mapping;
use super::locking::put_locked_mapping_entry;
use super::{dax_fault_return, grab_mapping_entry};
use crate::check::Invariant;
use crate::fs::{IOMAP_FAULT, IOMAP_WRITE, IomapDesc, IomapType};
use crate::kernel::Errno;
use crate::mm::{PAGE_SIZE, PeSize, VmFault, Vmf, finish_fault};
use crate::radix::Item;
use crate::sim::Cx;
use crate::trace::Func;
use std::panic::Location;

/// In 4.11 the extent is looked up (and for writes allocated) before the entry is grabbed:
/// iomap_begin runs without the entry lock ("dax: Call ->iomap_begin without entry lock
/// during dax fault"). That order is what the 4.12 fault-vs-write fix later reverses.
pub async fn dax_iomap_pte_fault(cx: &Cx<'_>, vmf: &Vmf<'_>) -> VmFault {
    let _f = cx.enter(Func::DaxIomapPteFault);
    let at = Location::caller();
    let mapping = &cx.k.mapping;
    let pos = vmf.pgoff << 12;
    cx.fault_begin(at, vmf, PeSize::Pte);

    // The caller holds the fault lock, which serialises us against truncate, so this test
    // of i_size is reliable.
    if pos >= cx.k.inode.i_size() {
        return cx.fault_done(at, vmf, PeSize::Pte, VmFault::SIGBUS);
    }
    let flags = IOMAP_FAULT | if vmf.write && !vmf.cow() { IOMAP_WRITE } else { 0 };
    let iomap = match cx.iomap_begin(pos, PAGE_SIZE, flags).await {
        Ok(m) => m,
        Err(e) => return cx.fault_done(at, vmf, PeSize::Pte, dax_fault_return(Err(e))),
    };

    let vmf_ret = if iomap.offset + iomap.length < pos + PAGE_SIZE {
        let what = "iomap extent does not cover the faulting page".into();
        cx.warn(at, Invariant::Warn { what });
        dax_fault_return(Err(Errno::Eio))
    } else {
        match grab_mapping_entry(cx, mapping, vmf.pgoff, 0).await {
            Err(e) => dax_fault_return(Err(e)),
            Ok(mut entry) => {
                let ret = map_entry(cx, vmf, &iomap, pos, &mut entry).await;
                put_locked_mapping_entry(cx, mapping, vmf.pgoff, entry).await;
                ret
            }
        }
    };
    let copied = if vmf_ret.intersects(VmFault::ERROR) { 0 } else { PAGE_SIZE };
    cx.iomap_end(pos, PAGE_SIZE, copied);
    cx.fault_done(at, vmf, PeSize::Pte, vmf_ret)
}

/// With the entry locked: copy for a private write, map the pmem block, or map a hole page
/// for a read of a hole.
async fn map_entry(cx: &Cx<'_>, vmf: &Vmf<'_>, iomap: &IomapDesc, pos: u64, entry: &mut Item) -> VmFault {
    let at = Location::caller();
    let sector = iomap.sector(pos);
    if vmf.cow() {
        return cow_fault(cx, vmf, iomap.kind, sector).await;
    }
    match (iomap.kind, vmf.write) {
        (IomapType::Mapped, _) => {
            let major = if iomap.new { VmFault::MAJOR } else { VmFault::NONE };
            // -EBUSY is fine: somebody else faulted on the same PTE.
            let error = match dax_insert_mapping(cx, &cx.k.mapping, sector, entry, vmf).await {
                Err(Errno::Ebusy) => Ok(()),
                other => other,
            };
            dax_fault_return(error) | major
        }
        (IomapType::Unwritten | IomapType::Hole, false) => dax_load_hole(cx, &cx.k.mapping, entry, vmf).await,
        _ => {
            let what = "write fault on a hole the filesystem did not allocate".into();
            cx.warn(at, Invariant::Warn { what });
            dax_fault_return(Err(Errno::Eio))
        }
    }
}

/// The private-write branch: fill the COW page (zeros for a hole or unwritten extent, a
/// copy of the pmem block otherwise) and map it with finish_fault(), all under the entry
/// lock.
async fn cow_fault(cx: &Cx<'_>, vmf: &Vmf<'_>, kind: IomapType, sector: u64) -> VmFault {
    let page = cx.k.pages.alloc(true, None);
    if kind == IomapType::Mapped {
        // copy_user_dax(): read the block straight from pmem.
        let mut buf = [0u8; 4096];
        cx.k.pmem.read(sector << 9, &mut buf);
        cx.k.pages.write(page, 0, &buf);
    }
    match finish_fault(cx, vmf, page).await {
        VmFault::NONE => VmFault::DONE_COW,
        other => other,
    }
}
