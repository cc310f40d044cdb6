//! dax_iomap_pte_fault() of the XArray era: the 4 KiB fault.

use super::grab::grab_mapping_entry;
use super::insert::{dax_insert_entry, dax_load_hole, vmf_result};
use super::locking::dax_unlock_entry;
use crate::check::Invariant;
use crate::dax::dax_fault_return;
use crate::fs::{IOMAP_FAULT, IOMAP_WRITE, IomapDesc, IomapType};
use crate::kernel::Errno;
use crate::mm::{PAGE_SIZE, PeSize, VmFault, Vmf, finish_fault, pmd_is_huge, vm_insert_mixed_mkwrite};
use crate::pmem::pfn_of_sector;
use crate::release::Fix;
use crate::sim::Cx;
use crate::trace::Func;
use crate::xarray::{Entry, XaState};
use std::panic::Location;

/// From v4.12 on (and throughout the XArray era) the entry is grabbed, and locked, before
/// iomap_begin: the filesystem allocates with the entry lock held, so a second fault on
/// the same index waits for the first to finish instead of racing it.
pub async fn dax_iomap_pte_fault(cx: &Cx<'_>, vmf: &Vmf<'_>) -> VmFault {
    let _f = cx.enter(Func::DaxIomapPteFault);
    let at = Location::caller();
    let mapping = &cx.k.mapping;
    let mut xas = XaState::new(vmf.pgoff);
    let pos = vmf.pgoff << 12;
    cx.fault_begin(at, vmf, PeSize::Pte);
    // The caller holds the fault lock, which serialises us against truncate, so this test
    // of i_size is reliable.
    if pos >= cx.k.inode.i_size() {
        return cx.fault_done(at, vmf, PeSize::Pte, VmFault::SIGBUS);
    }
    let flags = IOMAP_FAULT | if vmf.write && !vmf.cow() { IOMAP_WRITE } else { 0 };
    let mut entry = match grab_mapping_entry(cx, mapping, &mut xas, 0).await {
        Ok(entry) => entry,
        Err(ret) => return cx.fault_done(at, vmf, PeSize::Pte, ret),
    };
    let (ret, major) = if pmd_is_huge(cx, vmf.mm, vmf.address).await {
        // We raced with a PMD fault that overlaps this PTE: retry the fault.
        (VmFault::NOPAGE, VmFault::NONE)
    } else {
        match cx.iomap_begin(pos, PAGE_SIZE, flags).await {
            Err(e) => (dax_fault_return(Err(e)), VmFault::NONE),
            Ok(iomap) => {
                let ret = map_entry(cx, vmf, &mut xas, &iomap, &mut entry).await;
                let copied = if ret.intersects(VmFault::ERROR) { 0 } else { PAGE_SIZE };
                cx.iomap_end(pos, PAGE_SIZE, copied);
                let major = if iomap.new && iomap.kind == IomapType::Mapped { VmFault::MAJOR } else { VmFault::NONE };
                (ret, major)
            }
        }
    };
    dax_unlock_entry(cx, mapping, &mut xas, entry).await;
    // VM_FAULT_MAJOR is OR-ed in after the done tracepoint until the iomap_iter conversion
    // (65dd814a6187, v5.16), before it since.
    if cx.k.has(Fix::FaultIomapIter) {
        cx.fault_done(at, vmf, PeSize::Pte, ret | major)
    } else {
        cx.fault_done(at, vmf, PeSize::Pte, ret) | major
    }
}

/// With the entry locked and the extent known: copy for a private write, map the pmem
/// block, or map the zero page for a read of a hole.
async fn map_entry(
    cx: &Cx<'_>,
    vmf: &Vmf<'_>,
    xas: &mut XaState,
    iomap: &IomapDesc,
    entry: &mut Option<Entry>,
) -> VmFault {
    let at = Location::caller();
    let mapping = &cx.k.mapping;
    let pos = vmf.pgoff << 12;
    if iomap.offset + iomap.length < pos + PAGE_SIZE {
        let what = "iomap extent does not cover the faulting page".into();
        cx.warn(at, Invariant::Warn { what });
        return dax_fault_return(Err(Errno::Eio));
    }
    if vmf.cow() {
        return cow_fault(cx, vmf, iomap.kind, iomap.sector(pos)).await;
    }
    match (iomap.kind, vmf.write) {
        (IomapType::Mapped, _) => {
            let pfn = pfn_of_sector(iomap.sector(pos));
            let new = super::entry::dax_make_entry(pfn, 0);
            // `write && !sync`; the model has no MAP_SYNC mappings. v5.19 to v6.1 dirty on
            // every fault ("fsdax: Replace mmap entry in case of CoW", undone in v6.2);
            // not modelled: neither commit's id is verified yet.
            let dirty = vmf.write;
            *entry = dax_insert_entry(cx, mapping, vmf, xas, *entry, new, dirty).await;
            let addr = vmf.address;
            if vmf.write {
                vmf_result(vm_insert_mixed_mkwrite(cx, vmf, addr, pfn).await)
            } else {
                super::insert::vmf_insert_mixed(cx, vmf, pfn).await
            }
        }
        (IomapType::Unwritten | IomapType::Hole, false) => dax_load_hole(cx, mapping, vmf, xas, entry).await,
        _ => {
            let what = "write fault on a hole the filesystem did not allocate".into();
            cx.warn(at, Invariant::Warn { what });
            dax_fault_return(Err(Errno::Eio))
        }
    }
}

/// The private-write branch: fill the COW page (zeros for a hole or unwritten extent, a
/// copy of the pmem block otherwise) and map it with finish_fault(), under the entry lock.
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
