//! What a slot of the XArray holds, with the kernel's encoding of each kind
//! (include/linux/xarray.h): the bottom two bits of the pointer-sized word say what it is.
//! `x1` is a value entry (`xa_mk_value(v)` = `v << 1 | 1`); `10` is an internal entry:
//! 0..=62 a sibling, 256 the retry entry, 257 the zero entry, anything above 4096 a pointer
//! to a child node.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A node of one array, named by its place in the array's node arena. Nodes are never
/// reused, so a reference stays meaningful (and detectably stale) after the node is freed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeRef(pub(super) u32);

impl NodeRef {
    /// The node's number in allocation order (0 = the first node the array allocated).
    pub fn serial(self) -> u32 {
        self.0
    }

    pub(super) fn id(self) -> usize {
        self.0 as usize
    }
}

/// A non-NULL entry. NULL is `None` wherever an entry may be absent.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// `xa_mk_value(v)`: an integer stored in the array (every DAX entry is one).
    Value(u64),
    /// `XA_ZERO_ENTRY`: a reserved index; the normal API reads it as NULL.
    Zero,
    /// `XA_RETRY_ENTRY`: left in a node being freed, so an RCU walker still inside it knows
    /// to restart from the head. fs/dax.c also returns it from get_unlocked_entry() as its
    /// "conflict" sentinel.
    Retry,
    /// `xa_mk_sibling(offset)`: this slot belongs to the multi-index entry whose canonical
    /// slot is `offset` in the same node. Loads resolve siblings; no caller sees one.
    Sibling(u8),
    /// `xa_mk_node(node)`: a pointer to the next level. A load with a multi-index xa_state
    /// may return one when it stops above the level the entries are at.
    Node(NodeRef),
}

/// `xa_mk_value()`. The kernel WARNs on a `v` of 2^63 or more and its shift drops the top
/// bit; the model drops it too.
pub fn xa_mk_value(v: u64) -> Entry {
    Entry::Value(v & (u64::MAX >> 1))
}

/// `xa_to_value()`: the integer of a value entry (None for anything else).
pub fn xa_to_value(entry: Option<Entry>) -> Option<u64> {
    match entry {
        Some(Entry::Value(v)) => Some(v),
        _ => None,
    }
}

/// `xa_is_value()`.
pub fn xa_is_value(entry: Option<Entry>) -> bool {
    matches!(entry, Some(Entry::Value(_)))
}

/// `xa_is_internal()`: sibling, retry, zero and node entries.
pub fn xa_is_internal(entry: Option<Entry>) -> bool {
    matches!(entry, Some(Entry::Zero | Entry::Retry | Entry::Sibling(_) | Entry::Node(_)))
}

/// `xa_is_zero()`.
pub fn xa_is_zero(entry: Option<Entry>) -> bool {
    entry == Some(Entry::Zero)
}

/// `xa_is_retry()`.
pub fn xa_is_retry(entry: Option<Entry>) -> bool {
    entry == Some(Entry::Retry)
}

/// `xa_is_sibling()`.
pub fn xa_is_sibling(entry: Option<Entry>) -> bool {
    matches!(entry, Some(Entry::Sibling(_)))
}

/// `xa_is_node()`.
pub fn xa_is_node(entry: Option<Entry>) -> bool {
    matches!(entry, Some(Entry::Node(_)))
}

/// `xa_mk_internal(v)`: how the kernel encodes internal entries, `v << 2 | 2`.
const fn xa_mk_internal(v: u64) -> u64 {
    (v << 2) | 2
}

impl Entry {
    /// The machine word the kernel stores for this entry, as its tracepoints and
    /// `xa_dump()` print it. A node pointer is an address the model does not have.
    pub fn raw(self) -> Option<u64> {
        match self {
            Entry::Value(v) => Some((v << 1) | 1),
            Entry::Zero => Some(xa_mk_internal(257)),
            Entry::Retry => Some(xa_mk_internal(256)),
            Entry::Sibling(o) => Some(xa_mk_internal(u64::from(o))),
            Entry::Node(_) => None,
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Value(_) => write!(f, "{:#x}", self.raw().unwrap_or_default()),
            Entry::Zero => f.write_str("XA_ZERO_ENTRY"),
            Entry::Retry => f.write_str("XA_RETRY_ENTRY"),
            Entry::Sibling(o) => write!(f, "sibling({o})"),
            Entry::Node(n) => write!(f, "node#{}", n.serial()),
        }
    }
}
