//! Invariants (the kernel's BUG/WARN equivalents), benign notes, and the classification of
//! every execution into exactly one outcome.

mod classify;
mod invariant;

pub use classify::{Observations, Outcome, RunEnd, classify};
pub use invariant::{Invariant, Note};

use crate::sim::Cx;
use crate::trace::EventKind;
use std::panic::Location;

impl Cx<'_> {
    /// An invariant fired: record it (the first one wins) and end the execution here.
    pub(crate) fn bug(&self, at: &'static Location<'static>, invariant: Invariant) {
        let first = self.k.obs.with(|o| {
            if o.violation.is_none() {
                o.violation = Some(invariant.clone());
                true
            } else {
                false
            }
        });
        if first {
            self.emit(at, || EventKind::Bug { invariant });
        }
        self.rt().halt();
    }

    /// Something benign but worth annotating happened (a fallback, a restart, ...).
    pub(crate) fn note(&self, note: Note) {
        self.k.obs.with(|o| o.notes.insert(note));
    }

    /// A store through a shared mapping reached the file: remember what should be there.
    pub(crate) fn record_store(&self, mm: &crate::mm::Mm, addr: u64, value: u64) {
        if let Some(vma) = mm.find_vma(addr)
            && vma.shared
        {
            let offset = (vma.linear_page_index(addr) << 12) | (addr & 0xfff);
            self.k.obs.with(|o| o.expected.insert(offset, (value, self.tid)));
        }
    }
}
