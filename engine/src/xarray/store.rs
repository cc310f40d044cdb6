//! Changing the array: xas_store() and what it relies on — creating the path down to a
//! slot (xas_create(), xas_expand(), xas_alloc()), node accounting (update_node()), and
//! freeing nodes that became empty or were overwritten (xas_delete_node(), xas_shrink(),
//! xas_free_nodes()) — plus xas_create_range().
//!
//! Node allocation: under the lock the kernel tries a GFP_NOWAIT allocation, which may fail;
//! then the operation fails with -ENOMEM recorded in the xa_state, and the caller drops the
//! lock, calls xas_nomem() and retries. The `nowait` argument of the `_with` functions
//! answers each such attempt (true = the allocation succeeded); a node xas_nomem() left in
//! the state is used first, without asking.

use super::{
    Entry, NodeRef, XA_CHUNK_MASK, XA_CHUNK_SHIFT, XA_CHUNK_SIZE, XArray, XaMark, XaState, XasNode, xa_is_sibling,
    xa_is_value, xa_is_zero,
};
use crate::footprint::{self, Mode};
use crate::kernel::Errno;

/// Where xas_create() writes a new node pointer: the head, or a slot of a node.
#[derive(Copy, Clone)]
enum SlotAt {
    Head,
    Node(NodeRef, u8),
}

impl XaState {
    /// `xas_store()` with every node allocation succeeding.
    pub fn store(&mut self, xa: &mut XArray, entry: Option<Entry>) -> Option<Entry> {
        self.store_with(xa, entry, &mut || true)
    }

    /// `xas_store()`: stores `entry` (NULL erases) over the whole range the state covers,
    /// and returns the entry that was there (for a multi-index store over smaller entries,
    /// the last one displaced: the kernel calls that value "essentially meaningless").
    /// Sibling slots are written for a multi-index entry, child nodes it covers are freed,
    /// marks of the covered slots are merged onto the canonical slot, and a NULL store
    /// clears the entry's marks and frees nodes left empty. On -ENOMEM the state carries
    /// the error and nothing was stored. Expects xa_lock held.
    ///
    /// Sibling and node pointers are the array's own internal entries; storing one is
    /// refused with -EINVAL (`__xa_store()` refuses internal entries the same way).
    pub fn store_with(
        &mut self,
        xa: &mut XArray,
        entry: Option<Entry>,
        nowait: &mut dyn FnMut() -> bool,
    ) -> Option<Entry> {
        if matches!(entry, Some(Entry::Sibling(_) | Entry::Node(_))) {
            self.set_err(Errno::Einval);
            return None;
        }
        let mut first = match entry {
            Some(_) => self.create(xa, !xa_is_zero(entry), nowait),
            None => self.load(xa),
        };
        if self.invalid() {
            return first;
        }
        let node = match self.node {
            XasNode::Node(n) => Some(n),
            _ => None,
        };
        // The walk stopped above the level of the entry (an entry already covers the
        // range there): store one slot at that level.
        if node.is_some_and(|n| self.shift < xa.node(n).shift) {
            self.sibs = 0;
        }
        if first == entry && self.sibs == 0 {
            return first;
        }
        // The entry's marks may change with it: squashed onto a multi-index entry, or taken
        // over from a node it replaces.
        if footprint::recording() {
            self.touch_marks(xa, node);
        }
        if node.is_some() && self.sibs != 0 {
            self.squash_marks(xa);
        }
        if entry.is_none() {
            self.init_marks(xa);
        }
        let (count, values) = self.store_slots(xa, node, entry, &mut first);
        self.update_node(xa, node, count, values);
        first
    }

    /// The loop of xas_store(): writes the canonical slot and then its siblings (or, for
    /// NULL, clears the siblings that follow), freeing child nodes overwritten. Returns the
    /// change in `count` and `nr_values` of the node.
    fn store_slots(
        &mut self,
        xa: &mut XArray,
        node: Option<NodeRef>,
        mut entry: Option<Entry>,
        first: &mut Option<Entry>,
    ) -> (i32, i32) {
        let value = xa_is_value(entry);
        let mut next = *first;
        let mut offset = self.offset;
        let max = self.offset + self.sibs;
        let (mut count, mut values) = (0i32, 0i32);
        loop {
            match node {
                Some(n) => xa.set_entry(n, offset, entry),
                None => xa.set_head(entry),
            }
            if let Some(Entry::Node(child)) = next
                && node.is_none_or(|n| xa.node(n).shift != 0)
            {
                self.free_nodes(xa, child);
            }
            let Some(n) = node else { break };
            count += i32::from(next.is_none()) - i32::from(entry.is_none());
            values += i32::from(!xa_is_value(*first)) - i32::from(!value);
            if entry.is_some() {
                if offset == max {
                    break;
                }
                if !xa_is_sibling(entry) {
                    entry = Some(Entry::Sibling(self.offset));
                }
            } else if u64::from(offset) == XA_CHUNK_MASK {
                break;
            }
            offset += 1;
            next = xa.entry(n, offset);
            if !xa_is_sibling(next) {
                if entry.is_none() && offset > max {
                    break;
                }
                *first = next;
            }
        }
        (count, values)
    }

    /// `xas_alloc()`: a node for the level at `shift`, hung from the slot the state points
    /// at (or parentless when the state is at the head).
    fn alloc(&mut self, xa: &mut XArray, shift: u32, nowait: &mut dyn FnMut() -> bool) -> Option<NodeRef> {
        if self.invalid() {
            return None;
        }
        if self.alloc {
            self.alloc = false;
        } else if !nowait() {
            self.set_err(Errno::Enomem);
            return None;
        }
        let parent = match self.node {
            XasNode::Node(p) => Some(p),
            _ => None,
        };
        let node = xa.alloc_node(shift as u8, if parent.is_some() { self.offset } else { 0 }, parent);
        if let Some(p) = parent {
            xa.touch_count(p, Mode::Add);
            xa.node_mut(p).count += 1;
        }
        Some(node)
    }

    /// `xas_max()`: the largest index the array must hold for this store. A multi-index
    /// entry at index 0 needs one more, so that it lands in a node rather than the head.
    fn max(&self) -> u64 {
        let mut max = self.index;
        if self.shift != 0 || self.sibs != 0 {
            let mask = ((u64::from(self.sibs) + 1) << self.shift).wrapping_sub(1);
            max |= mask;
            if mask == max {
                max += 1;
            }
        }
        max
    }

    /// `xas_expand()`: adds levels above the head until the array can hold `xas_max()`.
    /// Returns the shift one level above the top node (0 when the entry can live in the
    /// head), or None with -ENOMEM in the state.
    fn expand(&mut self, xa: &mut XArray, head: Option<Entry>, nowait: &mut dyn FnMut() -> bool) -> Option<u32> {
        let max = self.max();
        let chunk = u32::from(XA_CHUNK_SHIFT);
        let mut shift = 0u32;
        let mut node = None;
        match head {
            None => {
                if max == 0 {
                    return Some(0);
                }
                while (max >> shift) >= XA_CHUNK_SIZE as u64 {
                    shift += chunk;
                }
                return Some(shift + chunk);
            }
            Some(Entry::Node(n)) => {
                node = Some(n);
                shift = u32::from(xa.node(n).shift) + chunk;
            }
            Some(_) => {}
        }
        self.node = XasNode::Head;
        let mut head = head;
        while max > xa.max_index(head) {
            let new = self.alloc(xa, shift, nowait)?;
            let n = xa.node_mut(new);
            n.count = 1;
            n.nr_values = u8::from(xa_is_value(head));
            n.slots[0] = head;
            // The new top node's slot 0 carries every mark the whole array had.
            for mark in XaMark::ALL {
                if xa.xa_marked(mark) {
                    xa.node_mut(new).set_mark(0, mark);
                }
            }
            if let Some(Entry::Node(old)) = head {
                let o = xa.node_mut(old);
                o.offset = 0;
                o.parent = Some(new);
            }
            head = Some(Entry::Node(new));
            xa.set_head(head);
            shift += chunk;
            node = Some(new);
        }
        self.node = node.map_or(XasNode::Head, XasNode::Node);
        Some(shift)
    }

    /// `xas_create()`: makes sure the slot for the state's index at the state's level
    /// exists, allocating nodes on the way down, and returns what it holds. Stops early at
    /// an entry that already covers the index higher up.
    pub(super) fn create(
        &mut self,
        xa: &mut XArray,
        allow_root: bool,
        nowait: &mut dyn FnMut() -> bool,
    ) -> Option<Entry> {
        let order = u32::from(self.shift);
        let chunk = u32::from(XA_CHUNK_SHIFT);
        let (mut shift, mut entry, mut slot) = match self.node {
            XasNode::Head | XasNode::Bounds | XasNode::Restart => {
                let head = xa.head;
                self.node = XasNode::Head;
                let mut shift = self.expand(xa, head, nowait)?;
                if shift == 0 && !allow_root {
                    shift = chunk;
                }
                (shift, xa.head, SlotAt::Head)
            }
            XasNode::Error(_) => return None,
            XasNode::Node(n) => (u32::from(xa.node(n).shift), xa.entry(n, self.offset), SlotAt::Node(n, self.offset)),
        };
        while shift > order {
            shift -= chunk;
            let node = match entry {
                None => {
                    let Some(node) = self.alloc(xa, shift, nowait) else { break };
                    match slot {
                        SlotAt::Head => xa.set_head(Some(Entry::Node(node))),
                        SlotAt::Node(n, off) => xa.set_entry(n, off, Some(Entry::Node(node))),
                    }
                    node
                }
                Some(Entry::Node(n)) => n,
                Some(_) => break,
            };
            entry = self.descend(xa, node);
            slot = SlotAt::Node(node, self.offset);
        }
        entry
    }

    /// `xas_create_range()` with every node allocation succeeding.
    pub fn create_range(&mut self, xa: &mut XArray) {
        self.create_range_with(xa, &mut || true);
    }

    /// `xas_create_range()`: creates every slot of the range the state covers as
    /// single-index slots (the nodes down to the leaves), from the last index back to the
    /// first, and leaves the state at the first index. On -ENOMEM the state keeps its
    /// range and the error.
    pub fn create_range_with(&mut self, xa: &mut XArray, nowait: &mut dyn FnMut() -> bool) {
        let (index, shift, sibs) = (self.index, self.shift, self.sibs);
        self.index |= ((u64::from(sibs) + 1) << shift).wrapping_sub(1);
        if let XasNode::Node(n) = self.node
            && xa.node(n).shift == self.shift
        {
            self.offset |= sibs;
        }
        self.shift = 0;
        self.sibs = 0;
        loop {
            self.create(xa, true, nowait);
            if self.error().is_some() {
                (self.index, self.shift, self.sibs) = (index, shift, sibs);
                return;
            }
            if self.index <= (index | XA_CHUNK_MASK) {
                break;
            }
            self.index -= XA_CHUNK_SIZE as u64;
            // Back up to the slot before the leaf just created, climbing while that leaf
            // was the first of its parent.
            while let XasNode::Node(node) = self.node {
                let n = xa.node(node);
                if n.shift >= shift {
                    break;
                }
                self.node = n.parent.map_or(XasNode::Head, XasNode::Node);
                self.offset = n.offset.wrapping_sub(1);
                if n.offset != 0 {
                    break;
                }
            }
        }
        self.index = index;
        if let XasNode::Node(n) = self.node {
            self.set_offset(xa, n);
        }
    }

    /// `update_node()`: applies the store's accounting; a node that lost entries may now be
    /// empty and is deleted.
    fn update_node(&mut self, xa: &mut XArray, node: Option<NodeRef>, count: i32, values: i32) {
        let Some(node) = node else { return };
        if count == 0 && values == 0 {
            return;
        }
        if count != 0 {
            xa.touch_count(node, if count > 0 { Mode::Add } else { Mode::Write });
        }
        let n = xa.node_mut(node);
        n.count = (i32::from(n.count) + count) as u8;
        n.nr_values = (i32::from(n.nr_values) + values) as u8;
        if count < 0 {
            self.delete_node(xa);
        }
    }

    /// `xas_delete_node()`: frees the state's node if it is empty, and its ancestors as
    /// they become empty; then shrinks the array from the top.
    fn delete_node(&mut self, xa: &mut XArray) {
        let XasNode::Node(mut node) = self.node else { return };
        loop {
            let n = xa.node(node);
            if n.count != 0 {
                break;
            }
            let parent = n.parent;
            self.offset = n.offset;
            xa.free_node(node);
            let Some(p) = parent else {
                xa.set_head(None);
                self.node = XasNode::Bounds;
                return;
            };
            self.node = XasNode::Node(p);
            xa.set_entry(p, self.offset, None);
            xa.touch_count(p, Mode::Write);
            xa.node_mut(p).count -= 1;
            node = p;
        }
        if xa.node(node).parent.is_none() {
            self.shrink(xa, node);
        }
    }

    /// `xas_shrink()`: while the top node holds only slot 0, its content becomes the head
    /// (a node one level down, or the entry at index 0) and the node is freed, leaving a
    /// retry entry for any RCU walker still inside it.
    fn shrink(&mut self, xa: &mut XArray, mut node: NodeRef) {
        loop {
            xa.touch_count(node, Mode::Read);
            let n = xa.node(node);
            if n.count != 1 {
                break;
            }
            let Some(entry) = n.slots[0] else { break };
            // A multi-index entry at index 0 cannot live in the head.
            if !matches!(entry, Entry::Node(_)) && n.shift != 0 {
                break;
            }
            self.node = XasNode::Bounds;
            xa.set_head(Some(entry));
            let n = xa.node_mut(node);
            n.count = 0;
            n.nr_values = 0;
            if !matches!(entry, Entry::Node(_)) {
                n.slots[0] = Some(Entry::Retry);
            }
            xa.free_node(node);
            let Entry::Node(child) = entry else { break };
            xa.node_mut(child).parent = None;
            node = child;
        }
    }

    /// `xas_free_nodes()`: `top` was unlinked by a store over it; it and every node below
    /// are freed, their present slots turned into retry entries for RCU walkers.
    fn free_nodes(&mut self, xa: &mut XArray, top: NodeRef) {
        let mut offset = 0usize;
        let mut node = top;
        loop {
            let n = xa.node_mut(node);
            let entry = n.slots[offset];
            if n.shift != 0
                && let Some(Entry::Node(child)) = entry
            {
                node = child;
                offset = 0;
                continue;
            }
            if entry.is_some() {
                n.slots[offset] = Some(Entry::Retry);
            }
            offset += 1;
            while offset == XA_CHUNK_SIZE {
                let n = xa.node_mut(node);
                let parent = n.parent;
                offset = usize::from(n.offset) + 1;
                n.count = 0;
                n.nr_values = 0;
                xa.free_node(node);
                if node == top {
                    return;
                }
                let Some(p) = parent else { return };
                node = p;
            }
        }
    }
}
