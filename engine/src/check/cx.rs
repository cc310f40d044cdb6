//! The checks' operations on the context: fire an invariant, annotate a benign event, and
//! keep the books the data checks read (what each completed store left in the file).

use super::{Invariant, Note, OnWarn, Outcome, Stored};
use crate::footprint::{self, Obj, ObjKind};
use crate::sim::Cx;
use crate::trace::EventKind;
use std::collections::BTreeMap;
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

    /// A WARN_ON fired. Under `on_warn = "stop"` this is [`Cx::bug`]: the run ends at this
    /// step, and false says so. Under `continue` the WARN is recorded, true is returned and
    /// the caller goes on with whatever the kernel's code does after that WARN_ON (return
    /// an error, skip a step, or nothing at all). A caller that only returns an error after
    /// the WARN need not look: the halted thread's last step ends there either way.
    pub(crate) fn warn(&self, at: &'static Location<'static>, invariant: Invariant) -> bool {
        if self.k.on_warn == OnWarn::Stop {
            self.bug(at, invariant);
            return false;
        }
        // Which thread's WARN is recorded first decides who logs it: WARNs are ordered
        // against each other.
        footprint::writes(Obj::at(ObjKind::Warnings, 0, 0));
        let first = self.k.obs.with(|o| {
            let first = !o.warns.contains(&invariant);
            if first {
                o.warns.push(invariant.clone());
            }
            first
        });
        if first {
            self.emit(at, || EventKind::Bug { invariant });
        }
        true
    }

    /// Something benign but worth annotating happened (a fallback, a restart, ...).
    pub(crate) fn note(&self, note: Note) {
        self.k.obs.with(|o| o.notes.insert(note));
    }

    /// A store through a shared mapping reached the file at `offset`: remember what should
    /// be there.
    pub(crate) fn record_store(&self, offset: u64, value: u64) {
        self.expect_at(offset, value);
    }

    /// write(2) copied `data` to file offset `pos`: every whole 8-byte word must be there.
    pub(crate) fn record_write(&self, pos: u64, data: &[u8]) {
        for (i, w) in data.chunks_exact(8).enumerate() {
            let value = u64::from_le_bytes(w.try_into().expect("8-byte chunk"));
            self.expect_at(pos + 8 * i as u64, value);
        }
    }

    fn expect_at(&self, offset: u64, value: u64) {
        // Stores to different offsets commute: the sequence numbers they get differ with
        // the order, but are only ever compared per offset.
        footprint::writes(Obj::span(ObjKind::Expected, 0, offset, 8));
        let by = self.tid;
        self.k.obs.with(|o| {
            o.stores += 1;
            o.expected.insert(offset, Stored { value, by, seq: o.stores });
        });
    }

    /// Truncate or punch hole removed file offsets [from, to): what was stored there is
    /// legitimately gone.
    pub(crate) fn forget_stores(&self, from: u64, to: u64) {
        footprint::writes(Obj::span(ObjKind::Expected, 0, from, to.saturating_sub(from)));
        self.k.obs.with(|o| o.expected.retain(|off, _| *off < from || *off >= to));
    }

    /// The stores an fsync starting now must make durable.
    pub(crate) fn stores_before_sync(&self) -> BTreeMap<u64, Stored> {
        footprint::reads(Obj::all(ObjKind::Expected, 0));
        self.k.obs.with(|o| o.expected.clone())
    }

    /// fsync returned: every store from before it started that has not been overwritten
    /// since must survive a power failure, i.e. be on the media, not only in the CPU cache.
    /// `on_media` reads the 8 bytes at a file offset from the media (None: the offset holds
    /// no written data); the filesystem knows where a file offset lives, the check does not.
    pub(crate) fn check_durable(&self, before: &BTreeMap<u64, Stored>, on_media: impl Fn(u64) -> Option<u64>) {
        footprint::reads(Obj::all(ObjKind::Expected, 0));
        for (&offset, st) in before {
            let current = self.k.obs.with(|o| o.expected.get(&offset).map(|c| c.seq));
            if current != Some(st.seq) {
                continue;
            }
            let Some(found) = on_media(offset) else { continue };
            if found != st.value {
                let loss = Outcome::DataLoss {
                    offset,
                    expected: st.value,
                    found,
                    by: st.by,
                    via: "the pmem media after fsync returned".into(),
                };
                // The first loss found is kept; which one does not change the outcome class.
                footprint::adds(Obj::at(ObjKind::Expected, 1, 0));
                self.k.obs.with(|o| {
                    o.not_durable.get_or_insert(loss);
                });
                return;
            }
        }
    }
}
