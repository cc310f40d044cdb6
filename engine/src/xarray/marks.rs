//! Marks: three bits per entry (`xa_mark_t`), kept in a bitmap per node. A node's bit for a
//! slot holding a child node is set when any entry below carries the mark, and the array's
//! `xa_flags` say whether any entry at all does, so a marked search skips whole unmarked
//! subtrees. The page cache names them PAGECACHE_TAG_DIRTY, _WRITEBACK and _TOWRITE.

use super::footprint::marks;
use super::{XArray, XaState, XasNode};
use crate::footprint;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `xa_mark_t`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct XaMark(u8);

pub const XA_MARK_0: XaMark = XaMark(0);
pub const XA_MARK_1: XaMark = XaMark(1);
pub const XA_MARK_2: XaMark = XaMark(2);
pub const XA_MARK_MAX: XaMark = XA_MARK_2;
pub const XA_MAX_MARKS: usize = 3;

/// include/linux/fs.h: the page cache's names for the marks of `mapping->i_pages`.
pub const PAGECACHE_TAG_DIRTY: XaMark = XA_MARK_0;
pub const PAGECACHE_TAG_WRITEBACK: XaMark = XA_MARK_1;
pub const PAGECACHE_TAG_TOWRITE: XaMark = XA_MARK_2;

impl XaMark {
    pub const ALL: [XaMark; XA_MAX_MARKS] = [XA_MARK_0, XA_MARK_1, XA_MARK_2];

    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The page-cache tag name.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "DIRTY",
            1 => "WRITEBACK",
            _ => "TOWRITE",
        }
    }
}

impl fmt::Display for XaMark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `n` consecutive bits from bit `first`.
fn bit_range(first: u8, n: u8) -> u64 {
    if n == 0 { 0 } else { (u64::MAX >> (64 - u32::from(n))) << first }
}

impl XaState {
    /// `xas_get_mark()`: whether the entry the state points at carries `mark` (false in an
    /// invalid state; at the head, the array's flag).
    pub fn get_mark(&self, xa: &XArray, mark: XaMark) -> bool {
        match self.node {
            XasNode::Head => xa.xa_marked(mark),
            XasNode::Node(n) => xa.node(n).get_mark(self.offset, mark),
            _ => false,
        }
    }

    /// `xas_set_mark()`: marks the entry the state points at and every ancestor slot up to
    /// the array's flag, stopping where the bit was already set. Does nothing in an invalid
    /// state. Expects xa_lock held.
    pub fn set_mark(&self, xa: &mut XArray, mark: XaMark) {
        if self.invalid() {
            return;
        }
        self.touch_mark(xa, mark);
        let mut node = match self.node {
            XasNode::Node(n) => Some(n),
            _ => None,
        };
        let mut offset = self.offset;
        while let Some(n) = node {
            if xa.node_mut(n).set_mark(offset, mark) {
                return;
            }
            (offset, node) = (xa.node(n).offset, xa.node(n).parent);
        }
        xa.mark_set(mark);
    }

    /// `xas_clear_mark()`: clears the entry's mark, then each ancestor's while no other
    /// slot of the node below still carries it. Expects xa_lock held.
    pub fn clear_mark(&self, xa: &mut XArray, mark: XaMark) {
        if self.invalid() {
            return;
        }
        self.touch_mark(xa, mark);
        let mut node = match self.node {
            XasNode::Node(n) => Some(n),
            _ => None,
        };
        let mut offset = self.offset;
        while let Some(n) = node {
            if !xa.node_mut(n).clear_mark(offset, mark) || xa.node(n).any_mark(mark) {
                return;
            }
            (offset, node) = (xa.node(n).offset, xa.node(n).parent);
        }
        xa.mark_clear(mark);
    }

    /// Declares a write of `mark` on the entry the state points at (see
    /// [`crate::footprint`]): the ancestors' bits and the array's flag follow from it.
    fn touch_mark(&self, xa: &XArray, mark: XaMark) {
        if !footprint::recording() {
            return;
        }
        let (lo, hi) = match self.node {
            XasNode::Node(n) => xa.entry_span(n, self.offset),
            _ => (0, 0),
        };
        footprint::writes(marks(mark, lo, hi));
    }

    /// `xas_init_marks()`: clears every mark of the entry (before it is erased).
    pub fn init_marks(&self, xa: &mut XArray) {
        for mark in XaMark::ALL {
            self.clear_mark(xa, mark);
        }
    }

    /// `xas_squash_marks()`: before a multi-index store, a mark on any slot of the range
    /// moves to the canonical slot and the sibling slots lose theirs.
    pub(super) fn squash_marks(&self, xa: &mut XArray) {
        let XasNode::Node(n) = self.node else { return };
        if self.sibs == 0 {
            return;
        }
        let siblings = bit_range(self.offset + 1, self.sibs);
        let node = xa.node_mut(n);
        for bits in &mut node.marks {
            if *bits & siblings != 0 {
                *bits |= 1 << self.offset;
                *bits &= !siblings;
            }
        }
    }
}
