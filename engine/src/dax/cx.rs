//! fs/dax.c's own operations on the context: the fault tracepoints (entry and exit) and
//! the PMD fault's fallback to 4 KiB pages. Everything else in dax/ is a plain `async fn`
//! named like its C function.

use super::FallbackReason;
use crate::check::Note;
use crate::mm::{PeSize, VmFault, Vmf};
use crate::sim::Cx;
use crate::trace::EventKind;
use std::panic::Location;

/// The dax_pmd_fault / dax_pmd_fault_done tracepoints.
impl Cx<'_> {
    /// Fault entry: the dax_pmd_fault tracepoint for PMD faults (4.11 has none for PTEs).
    pub(crate) fn fault_begin(&self, at: &'static Location<'static>, vmf: &Vmf<'_>, size: PeSize) {
        self.emit(at, || EventKind::FaultBegin { addr: vmf.address, pgoff: vmf.pgoff, size, write: vmf.write });
    }

    /// Fault exit (dax_pmd_fault_done); returns `result` for the caller to pass on.
    pub(crate) fn fault_done(
        &self,
        at: &'static Location<'static>,
        vmf: &Vmf<'_>,
        size: PeSize,
        result: VmFault,
    ) -> VmFault {
        self.emit(at, || EventKind::FaultDone { addr: vmf.address, size, result });
        result
    }
}

/// dax_iomap_pmd_fault()'s `goto fallback`: record why, return VM_FAULT_FALLBACK.
impl Cx<'_> {
    pub(crate) fn fallback(&self, at: &'static Location<'static>, vmf: &Vmf<'_>, reason: FallbackReason) -> VmFault {
        self.emit(at, || EventKind::Fallback { addr: vmf.address, reason });
        self.note(Note::Fallback { reason });
        VmFault::FALLBACK
    }
}
