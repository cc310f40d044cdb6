//! `struct xa_state`: the cursor every advanced-API call takes. It names an index (and, for
//! a multi-index entry, a shift and a sibling count), remembers where the last walk
//! stopped, carries an error once an operation fails, and holds the node xas_nomem()
//! allocated for the retry.

use super::{
    Entry, NodeRef, XA_CHUNK_MASK, XA_CHUNK_SHIFT, XA_CHUNK_SIZE, XArray, xa_is_retry, xa_is_sibling, xa_is_zero,
};
use crate::kernel::Errno;
use serde::{Deserialize, Serialize};

/// Where a walk stands: the kernel's `xas->xa_node`, a node pointer or one of its special
/// values.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XasNode {
    /// NULL: at the head of the array (the walk found the entry in `xa_head` itself).
    Head,
    Node(NodeRef),
    /// XAS_BOUNDS: the index lies beyond everything the array can hold at its height.
    Bounds,
    /// XAS_RESTART: not walked; the next operation starts from the head.
    Restart,
    /// XA_ERROR(errno): an operation failed; the state is unusable until reset.
    Error(Errno),
}

/// `struct xa_state`. Events carry it whole, so a recorded store can be applied again
/// exactly as it ran.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct XaState {
    #[serde(rename = "xa_index")]
    pub(super) index: u64,
    #[serde(rename = "xa_shift")]
    pub(super) shift: u8,
    #[serde(rename = "xa_sibs")]
    pub(super) sibs: u8,
    #[serde(rename = "xa_offset")]
    pub(super) offset: u8,
    #[serde(rename = "xa_node")]
    pub(super) node: XasNode,
    /// `xa_alloc`: the node xas_nomem() allocated, used by the next node allocation.
    #[serde(rename = "xa_alloc")]
    pub(super) alloc: bool,
}

impl XaState {
    /// `XA_STATE(xas, xa, index)`.
    pub fn new(index: u64) -> Self {
        XaState { index, shift: 0, sibs: 0, offset: 0, node: XasNode::Restart, alloc: false }
    }

    /// `XA_STATE_ORDER(xas, xa, index, order)`: an entry covering 2^order indices, stored as
    /// one slot plus siblings at level `order - order % 6` (order 9: 8 slots of a shift-6
    /// node).
    pub fn new_order(index: u64, order: u32) -> Self {
        let mut xas = XaState::new(0);
        xas.set_order(index, order);
        xas
    }

    /// `xas->xa_index`.
    pub fn xa_index(&self) -> u64 {
        self.index
    }

    /// `xas->xa_node`.
    pub fn xa_node(&self) -> XasNode {
        self.node
    }

    /// `xas->xa_offset`: the slot the last walk stopped at in `xa_node`.
    pub fn xa_offset(&self) -> u8 {
        self.offset
    }

    /// The order this state stores at: `xa_shift` plus log2(`xa_sibs` + 1).
    pub fn order(&self) -> u32 {
        u32::from(self.shift) + (u32::from(self.sibs) + 1).trailing_zeros()
    }

    /// `xas_set()`: another index; the next operation walks from the head.
    pub fn set(&mut self, index: u64) {
        self.index = index;
        self.node = XasNode::Restart;
    }

    /// `xas_set_order()`: the index rounded down to the order, which becomes the state's
    /// shift and sibling count.
    pub fn set_order(&mut self, index: u64, order: u32) {
        let order = order.min(u64::BITS);
        let chunk = u32::from(XA_CHUNK_SHIFT);
        self.index = if order < u64::BITS { (index >> order) << order } else { 0 };
        self.shift = (order - order % chunk) as u8;
        self.sibs = ((1u32 << (order % chunk)) - 1) as u8;
        self.node = XasNode::Restart;
    }

    /// `xas_reset()`: forget the walk (and any error); the next operation walks again from
    /// the head to the same index. Use it after dropping and retaking the lock.
    pub fn reset(&mut self) {
        self.node = XasNode::Restart;
    }

    /// `xas_set_err()`.
    pub fn set_err(&mut self, err: Errno) {
        self.node = XasNode::Error(err);
    }

    /// `xas_error()`.
    pub fn error(&self) -> Option<Errno> {
        match self.node {
            XasNode::Error(e) => Some(e),
            _ => None,
        }
    }

    /// `xas_invalid()`: in the restart, bounds or an error state.
    pub fn invalid(&self) -> bool {
        matches!(self.node, XasNode::Bounds | XasNode::Restart | XasNode::Error(_))
    }

    /// `xas_valid()`.
    pub fn valid(&self) -> bool {
        !self.invalid()
    }

    /// `xas_is_node()`: walked to a node (not the head).
    pub fn is_node(&self) -> bool {
        matches!(self.node, XasNode::Node(_))
    }

    /// `xas_not_node()`: anything but a node.
    pub(super) fn not_node(&self) -> bool {
        !self.is_node()
    }

    /// `xas_top()`: the head, XAS_BOUNDS or XAS_RESTART.
    pub(super) fn top(&self) -> bool {
        matches!(self.node, XasNode::Head | XasNode::Bounds | XasNode::Restart)
    }

    /// `xas_retry()`: true when `entry` must be skipped. A zero entry is skipped where it
    /// is; a retry entry (a node freed under an RCU walker) also restarts the walk from the
    /// head.
    pub fn retry(&mut self, entry: Option<Entry>) -> bool {
        if xa_is_zero(entry) {
            return true;
        }
        if !xa_is_retry(entry) {
            return false;
        }
        self.reset();
        true
    }

    /// `xas_nomem()`, called after dropping the lock. If the last operation failed with
    /// -ENOMEM, allocates one node (`allocate` says whether the allocation succeeds),
    /// keeps it for the retry and returns true: the caller retakes the lock and tries
    /// again. Otherwise (no error, another error, or the allocation failed) returns false
    /// and drops any node kept from before (xas_destroy()).
    pub fn nomem(&mut self, allocate: impl FnOnce() -> bool) -> bool {
        if self.node != XasNode::Error(Errno::Enomem) {
            self.alloc = false;
            return false;
        }
        if !allocate() {
            return false;
        }
        self.alloc = true;
        self.node = XasNode::Restart;
        true
    }

    /// Whether xas_nomem() left a node for the retry that nothing has used yet.
    pub fn has_alloc(&self) -> bool {
        self.alloc
    }

    /// `xas_pause()`, before dropping the lock in the middle of an iteration: moves the
    /// index past the entry the walk stopped at (past all its sibling slots), so the next
    /// xas_find() restarts from the head and continues after it. A later xas_load() (not a
    /// find) therefore reads the index after the entry, not the entry.
    pub fn pause(&mut self, xa: &XArray) {
        if self.invalid() {
            return;
        }
        let node = self.node;
        self.node = XasNode::Restart;
        let XasNode::Node(n) = node else {
            self.index = self.index.wrapping_add(1);
            return;
        };
        let mut offset = usize::from(self.offset);
        loop {
            offset += 1;
            if offset >= XA_CHUNK_SIZE || !xa_is_sibling(xa.entry(n, offset as u8)) {
                break;
            }
        }
        let shift = xa.node(n).shift;
        // "Xarray: move forward index correctly in xas_pause()": after a load from the middle
        // of a multi-index entry the index has bits below the node's level; before the fix
        // they were carried along and the step overshot the next entry.
        if xa.fixes.xas_pause_masks_index {
            self.index &= u64::MAX << shift;
        }
        let step = ((offset - usize::from(self.offset)) as u64) << shift;
        self.index = self.index.wrapping_add(step);
        // Paused on the last entry of the index space: nothing is left to find.
        if self.index == 0 {
            self.node = XasNode::Bounds;
        }
    }

    /// `set_bounds()`.
    pub(super) fn set_bounds(&mut self) {
        self.node = XasNode::Bounds;
    }

    /// `xas_set_offset()`: the slot of `xa_index` in the current node.
    pub(super) fn set_offset(&mut self, xa: &XArray, node: NodeRef) {
        self.offset = get_offset(self.index, xa.node(node).shift);
    }

    /// `xas_move_index()`: point the index at slot `offset` of the current node (forward to
    /// a later slot, or back to the canonical slot of a sibling).
    pub(super) fn move_index(&mut self, shift: u8, offset: u32) {
        let low = (XA_CHUNK_MASK << shift) | ((1u64 << shift) - 1);
        self.index &= !low;
        self.index = self.index.wrapping_add(u64::from(offset) << shift);
    }

    /// `xas_next_offset()`.
    pub(super) fn next_offset(&mut self, shift: u8) {
        self.offset += 1;
        self.move_index(shift, u32::from(self.offset));
    }
}

/// `get_offset()`: the slot of `index` in a node at `shift`.
pub(super) fn get_offset(index: u64, shift: u8) -> u8 {
    ((index >> shift) & XA_CHUNK_MASK) as u8
}
