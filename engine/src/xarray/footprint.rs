//! What the array's operations touch, as objects of the page cache's index space (see
//! [`crate::footprint`]), so that partial-order reduction knows which steps on
//! `mapping->i_pages` commute.
//!
//! The objects are logical where the kernel's structure is a function of logical content:
//! an entry is the range of indices it covers (a PMD entry and a 4 KiB load inside it meet),
//! a mark is per entry (a node's mark bitmap and the array's mark flags follow from the
//! entries' marks). The rest is structure a walk depends on: which nodes exist
//! ([`ObjKind::MappingNodes`] over the indices a node covers, written when one is linked or
//! freed, read over the indices every operation walks to — a state holding a node a store
//! freed then reads retry entries), and each node's count of present slots, which decides
//! when emptying a slot frees it ([`ObjKind::MappingNodeCount`]).
//!
//! Writes are declared where they happen, in the primitives; reads by the operation on the
//! context, over every index from where the state stood to where the operation left it
//! (see [`XaState::reach`]).

use super::{Entry, NodeRef, XA_CHUNK_SIZE, XArray, XaMark, XaState, XasNode};
use crate::footprint::{self, Obj, ObjKind};

pub(crate) fn entries(lo: u64, hi: u64) -> Obj {
    Obj { kind: ObjKind::MappingEntry, space: 0, lo, hi }
}

/// The marks are the page cache's tags, so they share the radix tree's tag objects.
pub(crate) fn marks(mark: XaMark, lo: u64, hi: u64) -> Obj {
    Obj { kind: ObjKind::MappingTag, space: mark.index() as u32, lo, hi }
}

pub(super) fn nodes(lo: u64, hi: u64) -> Obj {
    Obj { kind: ObjKind::MappingNodes, space: 0, lo, hi }
}

/// How many GFP_NOWAIT failures this run injected so far ([`super::XaRoot::NOWAIT_FAILURES`]).
pub(super) fn nowait_budget() -> Obj {
    Obj::at(ObjKind::MappingCounter, 2, 0)
}

/// The last index of `2^shift` slots from `lo` (saturating: a top node at shift 60 covers
/// the whole index space).
fn end(lo: u64, slots: u64, shift: u8) -> u64 {
    let len = u128::from(slots) << shift;
    (u128::from(lo) + len - 1).min(u128::from(u64::MAX)) as u64
}

impl XArray {
    /// The first index `node` covers.
    fn first_index(&self, node: NodeRef) -> u64 {
        let (mut first, mut at) = (0u64, node);
        while let Some(p) = self.node(at).parent {
            first = first.wrapping_add(u64::from(self.node(at).offset) << self.node(p).shift);
            at = p;
        }
        first
    }

    /// The indices slot `offset` of `node` covers.
    pub(super) fn slot_range(&self, node: NodeRef, offset: u8) -> (u64, u64) {
        let shift = self.node(node).shift;
        let lo = self.first_index(node).wrapping_add(u64::from(offset) << shift);
        (lo, end(lo, 1, shift))
    }

    /// The indices `node` covers.
    pub(super) fn node_range(&self, node: NodeRef) -> (u64, u64) {
        let lo = self.first_index(node);
        (lo, end(lo, XA_CHUNK_SIZE as u64, self.node(node).shift))
    }

    /// The indices of the entry in slot `offset` of `node`: its canonical slot and the
    /// sibling slots after it.
    pub(super) fn entry_span(&self, node: NodeRef, offset: u8) -> (u64, u64) {
        let canonical = match self.entry(node, offset) {
            Some(Entry::Sibling(c)) => c,
            _ => offset,
        };
        let mut last = canonical;
        while usize::from(last) + 1 < XA_CHUNK_SIZE && self.entry(node, last + 1) == Some(Entry::Sibling(canonical)) {
            last += 1;
        }
        (self.slot_range(node, canonical).0, self.slot_range(node, last).1)
    }

    /// Declares a write of the count of `node`: `fills` (a slot filled, which commutes with
    /// other fills) or not (a slot emptied, or the count read to decide a free).
    pub(super) fn touch_count(&self, node: NodeRef, mode: footprint::Mode) {
        if footprint::recording() {
            let obj = Obj::at(ObjKind::MappingNodeCount, u32::from(self.node(node).shift), self.first_index(node));
            footprint::touch(obj, mode);
        }
    }
}

impl XaState {
    /// Declares a write of every mark over the slots a store at the state's position is
    /// about to write: from the entry there through the state's last sibling slot.
    pub(super) fn touch_marks(&self, xa: &XArray, node: Option<NodeRef>) {
        let (lo, hi) = match node {
            Some(n) => {
                let (lo, hi) = xa.entry_span(n, self.offset);
                let last = (usize::from(self.offset) + usize::from(self.sibs)).min(XA_CHUNK_SIZE - 1);
                (lo, hi.max(xa.slot_range(n, last as u8).1))
            }
            None => (0, 0),
        };
        XaMark::ALL.iter().for_each(|&m| footprint::writes(marks(m, lo, hi)));
    }

    /// The indices the state stands for: its own range, and the whole entry at the slot it
    /// points at (a load from inside a multi-index entry points at the canonical slot).
    pub(super) fn reach(&self, xa: &XArray) -> (u64, u64) {
        let lo = self.index;
        let (mut lo, mut hi) = (lo, end(lo, u64::from(self.sibs) + 1, self.shift));
        if let XasNode::Node(n) = self.node {
            let (a, b) = xa.entry_span(n, self.offset);
            (lo, hi) = (lo.min(a), hi.max(b));
        }
        (lo, hi)
    }
}

/// Declares what an operation read, walking from `before` to where `after` stands (and on to
/// `upto`, for a walk that found nothing up to its limit): the entries, the nodes and, for a
/// marked walk, the mark over every index between.
pub(super) fn walked(xa: &XArray, before: &XaState, after: &XaState, upto: Option<u64>, mark: Option<XaMark>) {
    let ((a, b), (c, d)) = (before.reach(xa), after.reach(xa));
    let (lo, mut hi) = (a.min(c), b.max(d));
    if let Some(max) = upto {
        hi = hi.max(max);
    }
    // A walk that ran off the end of the index space wrapped its index around.
    if after.index < before.index && !matches!(after.node, XasNode::Node(_)) {
        hi = u64::MAX;
    }
    footprint::reads(entries(lo, hi));
    footprint::reads(nodes(lo, hi));
    if let Some(m) = mark {
        footprint::reads(marks(m, lo, hi));
    }
}
