//! fs/dax.c, v4.11: the DAX mapping-entry locking protocol and the PTE and PMD fault
//! paths. `grab_mapping_entry` is where the seed race lives; a kernel with
//! [`Fix::RadixTreeInsertionRace`](crate::Fix::RadixTreeInsertionRace) runs the body with
//! "dax: fix radix tree insertion race", one without it v4.11-rc5's.

mod cx;
mod entry;
mod grab;
mod hole;
mod insert;
mod invalidate;
mod locking;
mod mkwrite;
mod pmd_fault;
mod pte_fault;
mod rw;
mod writeback;

pub use entry::*;
pub use grab::grab_mapping_entry;
pub use invalidate::{dax_delete_mapping_entry, dax_invalidate_mapping_entry, dax_invalidate_mapping_entry_sync};
pub use locking::{dax_entry_waitqueue, dax_wake_mapping_entry_waiter};
pub use mkwrite::dax_pfn_mkwrite;
pub use pmd_fault::{FallbackReason, dax_iomap_pmd_fault};
pub use pte_fault::dax_iomap_pte_fault;
pub use rw::{IovIter, dax_iomap_rw};
pub use writeback::{WritebackControl, dax_writeback_mapping_range};

use crate::kernel::Errno;
use crate::mm::{PeSize, VmFault, Vmf};
use crate::sim::Cx;
use crate::trace::Func;

/// dax_iomap_fault(): dispatch on the entry size the core mm asked for.
pub async fn dax_iomap_fault(cx: &Cx<'_>, vmf: &Vmf<'_>, pe_size: PeSize) -> VmFault {
    let _f = cx.enter(Func::DaxIomapFault);
    match pe_size {
        PeSize::Pte => dax_iomap_pte_fault(cx, vmf).await,
        PeSize::Pmd => dax_iomap_pmd_fault(cx, vmf).await,
    }
}

/// dax_fault_return(): 0 → NOPAGE, -ENOMEM → OOM, anything else → SIGBUS.
pub fn dax_fault_return(error: Result<(), Errno>) -> VmFault {
    match error {
        Ok(()) => VmFault::NOPAGE,
        Err(Errno::Enomem) => VmFault::OOM,
        Err(_) => VmFault::SIGBUS,
    }
}
