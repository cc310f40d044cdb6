//! What the tree's operations touch, as objects of the page cache's index space (see
//! [`crate::footprint`]). An entry is the range of indices it covers, so a PMD entry and a
//! 4 KiB lookup inside it meet; tags are per entry; the shape of the tree (nodes allocated
//! or freed) is one object, written conservatively by any change of shape.

use super::{RADIX_TREE_MAX_TAGS, RadixTree};
use crate::footprint::{Obj, ObjKind};

pub(super) fn entries(lo: u64, hi: u64) -> Obj {
    Obj { kind: ObjKind::MappingEntry, space: 0, lo, hi }
}

pub(super) fn tags(tag: u32, lo: u64, hi: u64) -> Obj {
    Obj { kind: ObjKind::MappingTag, space: tag, lo, hi }
}

pub(super) fn shape() -> Obj {
    Obj::all(ObjKind::MappingNodes, 0)
}

pub(super) fn every_tag(lo: u64, hi: u64) -> impl Iterator<Item = Obj> {
    (0..RADIX_TREE_MAX_TAGS).map(move |t| tags(t, lo, hi))
}

impl RadixTree {
    /// The indices of the entry covering `index`, or `index` alone if there is none.
    pub(super) fn span(&self, index: u64) -> (u64, u64) {
        match self.lookup(index) {
            Some(f) => (f.first_index, f.first_index + ((1u64 << f.order) - 1)),
            None => (index, index),
        }
    }
}
