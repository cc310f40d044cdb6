//! `struct xarray` and `struct xa_node`, and the primitives every operation shares: slot
//! access, the per-node mark bitmaps, node allocation and freeing, and a consistency check.

use super::footprint::{entries, marks, nodes};
use super::{Entry, NodeRef, XA_CHUNK_SHIFT, XA_CHUNK_SIZE, XA_MAX_MARKS, XaMark};
use crate::footprint::{self, Obj, ObjKind, reads, writes};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One node: 64 slots, the level it sits at (`shift`: the low index bits its slots do not
/// resolve), where it hangs in its parent, and per-mark bitmaps over its slots.
#[derive(Clone, Debug)]
pub(super) struct Node {
    pub(super) shift: u8,
    pub(super) offset: u8,
    /// Non-NULL slots of any kind: entries, siblings, retry entries, child nodes.
    pub(super) count: u8,
    /// Value entries and the siblings of value entries.
    pub(super) nr_values: u8,
    pub(super) parent: Option<NodeRef>,
    pub(super) slots: [Option<Entry>; XA_CHUNK_SIZE],
    pub(super) marks: [u64; XA_MAX_MARKS],
    /// xa_node_free() has run: the node waits out its RCU grace period. The model never
    /// reuses it, so a walker still holding it reads what the kernel's would (retry
    /// entries), and a stale xa_state can be told apart from a live one.
    pub(super) freed: bool,
}

impl Node {
    pub(super) fn get_mark(&self, offset: u8, mark: XaMark) -> bool {
        self.marks[mark.index()] & (1 << offset) != 0
    }

    /// node_set_mark(): true if the bit was already set.
    pub(super) fn set_mark(&mut self, offset: u8, mark: XaMark) -> bool {
        let was = self.get_mark(offset, mark);
        self.marks[mark.index()] |= 1 << offset;
        was
    }

    /// node_clear_mark(): true if the bit was set.
    pub(super) fn clear_mark(&mut self, offset: u8, mark: XaMark) -> bool {
        let was = self.get_mark(offset, mark);
        self.marks[mark.index()] &= !(1 << offset);
        was
    }

    pub(super) fn any_mark(&self, mark: XaMark) -> bool {
        self.marks[mark.index()] != 0
    }
}

/// Fixes to lib/xarray.c made after v4.20 that change what fs/dax.c can observe. A kernel
/// release has some of them; the array behaves as that release's lib/xarray.c does.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct XaFixes {
    /// "Xarray: move forward index correctly in xas_pause()" (Kemeng Shi; in v6.14, not in
    /// v6.1): xas_pause() first rounds `xa_index` down to the node's level, so pausing after
    /// a load from the middle of a multi-index entry no longer skips what follows it.
    pub xas_pause_masks_index: bool,
}

impl XaFixes {
    /// lib/xarray.c as of v4.20.
    pub const NONE: XaFixes = XaFixes { xas_pause_masks_index: false };
    /// Every fix the model knows.
    pub const ALL: XaFixes = XaFixes { xas_pause_masks_index: true };
}

/// `struct xarray` as the page cache initialises it for `mapping->i_pages`
/// (XA_FLAGS_LOCK_IRQ | XA_FLAGS_ACCOUNT): no free-index tracking and no busy zero entry,
/// so the branches of lib/xarray.c for those flags never run and are not modelled. The
/// lock lives beside the array (see the module documentation).
#[derive(Clone, Debug)]
pub struct XArray {
    pub(super) nodes: Vec<Node>,
    pub(super) head: Option<Entry>,
    /// The XA_FLAGS_MARK bits of `xa_flags`: bit m set when some entry carries mark m.
    pub(super) marks: u8,
    pub(super) fixes: XaFixes,
}

impl Default for XArray {
    fn default() -> Self {
        XArray::with_fixes(XaFixes::ALL)
    }
}

impl XArray {
    /// An empty array with every lib/xarray.c fix the model knows.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty array behaving as the lib/xarray.c with `fixes`.
    pub fn with_fixes(fixes: XaFixes) -> Self {
        XArray { nodes: Vec::new(), head: None, marks: 0, fixes }
    }

    pub fn fixes(&self) -> XaFixes {
        self.fixes
    }

    /// `xa_empty()`.
    pub fn xa_empty(&self) -> bool {
        reads(entries(0, u64::MAX));
        self.head.is_none()
    }

    /// `xa_marked()`: some entry in the array carries `mark` (what `mapping_tagged()` asks).
    pub fn xa_marked(&self, mark: XaMark) -> bool {
        reads(marks(mark, 0, u64::MAX));
        self.marks & (1 << mark.index()) != 0
    }

    pub(super) fn mark_set(&mut self, mark: XaMark) {
        self.marks |= 1 << mark.index();
    }

    pub(super) fn mark_clear(&mut self, mark: XaMark) {
        self.marks &= !(1 << mark.index());
    }

    /// Nodes allocated and not yet freed.
    pub fn node_count(&self) -> usize {
        self.nodes.iter().filter(|n| !n.freed).count()
    }

    /// Whether `node` has been freed (an xa_state still pointing at it is stale).
    pub fn node_freed(&self, node: NodeRef) -> bool {
        self.nodes.get(node.id()).is_none_or(|n| n.freed)
    }

    /// `max_index()`: the largest index an array headed by `head` holds without growing.
    pub(super) fn max_index(&self, head: Option<Entry>) -> u64 {
        match head {
            Some(Entry::Node(n)) => ((XA_CHUNK_SIZE as u64) << self.node(n).shift).wrapping_sub(1),
            _ => 0,
        }
    }

    pub(super) fn node(&self, node: NodeRef) -> &Node {
        &self.nodes[node.id()]
    }

    pub(super) fn node_mut(&mut self, node: NodeRef) -> &mut Node {
        &mut self.nodes[node.id()]
    }

    /// `xa_entry()`.
    pub(super) fn entry(&self, node: NodeRef, offset: u8) -> Option<Entry> {
        self.node(node).slots[offset as usize]
    }

    pub(super) fn set_entry(&mut self, node: NodeRef, offset: u8, entry: Option<Entry>) {
        if footprint::recording() {
            let (lo, hi) = self.slot_range(node, offset);
            writes(entries(lo, hi));
        }
        self.node_mut(node).slots[offset as usize] = entry;
    }

    /// A fresh, empty node (the kmem_cache_alloc() of xas_alloc() and xas_nomem()).
    pub(super) fn alloc_node(&mut self, shift: u8, offset: u8, parent: Option<NodeRef>) -> NodeRef {
        let node = Node {
            shift,
            offset,
            count: 0,
            nr_values: 0,
            parent,
            slots: [None; XA_CHUNK_SIZE],
            marks: [0; XA_MAX_MARKS],
            freed: false,
        };
        self.nodes.push(node);
        let node = NodeRef((self.nodes.len() - 1) as u32);
        if footprint::recording() {
            let (lo, hi) = self.node_range(node);
            writes(nodes(lo, hi));
            // Nodes are numbered in allocation order, and the number shows in events.
            writes(Obj::at(ObjKind::PageAlloc, 1, 0));
        }
        node
    }

    /// Replaces `xa_head`: the entry at index 0 or the top node, so both the entry and the
    /// shape of the whole array.
    pub(super) fn set_head(&mut self, head: Option<Entry>) {
        writes(entries(0, 0));
        writes(nodes(0, u64::MAX));
        self.head = head;
    }

    /// xa_node_free(): the slots keep what the caller left in them for RCU walkers.
    pub(super) fn free_node(&mut self, node: NodeRef) {
        if footprint::recording() {
            let (lo, hi) = self.node_range(node);
            writes(nodes(lo, hi));
        }
        self.node_mut(node).freed = true;
    }

    /// Checks what lib/xarray.c keeps true between operations: parent links and offsets,
    /// each node one level below its parent, `count` and `nr_values`, siblings following
    /// their canonical slot, marks only on present canonical entries, a node's slot marked
    /// exactly when the child below has that mark somewhere, and the array's mark flags.
    pub fn verify(&self) -> Result<(), Corruption> {
        let Some(Entry::Node(top)) = self.head else { return Ok(()) };
        if self.node(top).parent.is_some() {
            return Err(Corruption::at(top, "the head node has a parent"));
        }
        for mark in XaMark::ALL {
            if self.node(top).any_mark(mark) != self.xa_marked(mark) {
                return Err(Corruption::at(top, format!("array flag for {mark} disagrees with the head node")));
            }
        }
        self.verify_node(top)
    }

    fn verify_node(&self, node: NodeRef) -> Result<(), Corruption> {
        let n = self.node(node);
        if n.freed {
            return Err(Corruption::at(node, "a freed node is still linked"));
        }
        let (mut count, mut values) = (0u8, 0u8);
        let mut canonical: Option<(u8, Entry)> = None;
        for off in 0..XA_CHUNK_SIZE as u8 {
            let slot = n.slots[off as usize];
            count += u8::from(slot.is_some());
            match slot {
                Some(Entry::Sibling(c)) => {
                    if canonical.map(|(o, _)| o) != Some(c) {
                        return Err(Corruption::at(node, format!("slot {off}: sibling of {c} out of place")));
                    }
                    values += u8::from(matches!(canonical, Some((_, Entry::Value(_)))));
                }
                Some(e) => {
                    canonical = Some((off, e));
                    values += u8::from(matches!(e, Entry::Value(_)));
                }
                None => canonical = None,
            }
            self.verify_slot_marks(node, off)?;
            if let Some(Entry::Node(child)) = slot {
                let c = self.node(child);
                if c.parent != Some(node) || c.offset != off || c.shift + XA_CHUNK_SHIFT != n.shift {
                    return Err(Corruption::at(child, format!("misplaced under node#{} slot {off}", node.0)));
                }
                self.verify_node(child)?;
            }
        }
        if (count, values) != (n.count, n.nr_values) {
            return Err(Corruption::at(
                node,
                format!("count {} nr_values {}, but the slots hold {count} and {values}", n.count, n.nr_values),
            ));
        }
        Ok(())
    }

    fn verify_slot_marks(&self, node: NodeRef, off: u8) -> Result<(), Corruption> {
        let n = self.node(node);
        for mark in XaMark::ALL {
            if !n.get_mark(off, mark) {
                if let Some(Entry::Node(child)) = n.slots[off as usize]
                    && self.node(child).any_mark(mark)
                {
                    return Err(Corruption::at(node, format!("slot {off}: {mark} below but not here")));
                }
                continue;
            }
            match n.slots[off as usize] {
                None | Some(Entry::Sibling(_)) => {
                    return Err(Corruption::at(node, format!("slot {off}: {mark} on an empty or sibling slot")));
                }
                Some(Entry::Node(child)) if !self.node(child).any_mark(mark) => {
                    return Err(Corruption::at(node, format!("slot {off}: {mark} here but not below")));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// What [`XArray::verify`] found wrong.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("xarray node#{node}: {what}")]
pub struct Corruption {
    pub node: u32,
    pub what: String,
}

impl Corruption {
    fn at(node: NodeRef, what: impl Into<String>) -> Self {
        Corruption { node: node.0, what: what.into() }
    }
}
