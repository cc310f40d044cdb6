//! Walking down to an index: xas_start(), xas_descend(), xas_load(), xas_reload() and
//! xas_find_conflict(). None of these change the array.

use super::state::get_offset;
use super::{Entry, NodeRef, XA_CHUNK_MASK, XArray, XaState, XasNode, xa_is_node, xa_is_sibling};

impl XaState {
    /// `xas_start()`: a valid state reloads where it stopped; otherwise the walk begins at
    /// the head, or goes to XAS_BOUNDS if the array is too short to hold the index.
    pub(super) fn start(&mut self, xa: &XArray) -> Option<Entry> {
        if self.valid() {
            return self.reload(xa);
        }
        if self.error().is_some() {
            return None;
        }
        let entry = xa.head;
        let beyond = match entry {
            Some(Entry::Node(n)) => (self.index >> xa.node(n).shift) > XA_CHUNK_MASK,
            // Only index 0 lives in the head itself.
            _ => self.index != 0,
        };
        if beyond {
            self.set_bounds();
            return None;
        }
        self.node = XasNode::Head;
        entry
    }

    /// `xas_reload()`: the slot the state points at, read again (through a sibling to its
    /// canonical slot).
    pub(super) fn reload(&self, xa: &XArray) -> Option<Entry> {
        let XasNode::Node(node) = self.node else { return xa.head };
        let entry = xa.entry(node, get_offset(self.index, xa.node(node).shift));
        match entry {
            Some(Entry::Sibling(canonical)) => xa.entry(node, canonical),
            _ => entry,
        }
    }

    /// `xas_descend()`: one level down into `node`, resolving a sibling slot to its
    /// canonical slot (where `xa_offset` then points).
    pub(super) fn descend(&mut self, xa: &XArray, node: NodeRef) -> Option<Entry> {
        let n = xa.node(node);
        let mut offset = get_offset(self.index, n.shift);
        let mut entry = n.slots[offset as usize];
        self.node = XasNode::Node(node);
        while let Some(Entry::Sibling(canonical)) = entry {
            offset = canonical;
            entry = n.slots[offset as usize];
            // A sibling of a node pointer is a tree being rebuilt under an RCU walker.
            if n.shift != 0 && xa_is_node(entry) {
                entry = Some(Entry::Retry);
            }
        }
        self.offset = offset;
        entry
    }

    /// `xas_load()`: the entry at `xa_index`, for any index a multi-index entry covers its
    /// canonical entry. The walk stops at the level of the state's order: a multi-index
    /// state over smaller entries gets the node pointer (or NULL) found there, not the
    /// entries below. Never changes the array. Does nothing in an error state.
    pub fn load(&mut self, xa: &XArray) -> Option<Entry> {
        let mut entry = self.start(xa);
        while let Some(Entry::Node(node)) = entry {
            let shift = xa.node(node).shift;
            if self.shift > shift {
                break;
            }
            entry = self.descend(xa, node);
            if shift == 0 {
                break;
            }
        }
        entry
    }

    /// `xas_find_conflict()`: the next entry present anywhere in the range the state
    /// covers, starting with the entry at its first index; NULL once the range is
    /// exhausted (the state then points at the canonical slot again, ready for a store).
    /// A loop over it is `xas_for_each_conflict()`. Expects xa_lock held.
    pub fn find_conflict(&mut self, xa: &XArray) -> Option<Entry> {
        if self.error().is_some() || self.node == XasNode::Head {
            return None;
        }
        if self.top() {
            let mut curr = self.start(xa);
            curr?;
            // Unlike xas_load(), all the way down to the entries.
            while let Some(Entry::Node(node)) = curr {
                curr = self.descend(xa, node);
            }
            if curr.is_some() {
                return curr;
            }
        }
        let XasNode::Node(mut node) = self.node else { return None };
        if xa.node(node).shift > self.shift {
            return None;
        }
        loop {
            let n = xa.node(node);
            if n.shift == self.shift {
                if self.offset & self.sibs == self.sibs {
                    break;
                }
            } else if u64::from(self.offset) == XA_CHUNK_MASK {
                self.offset = n.offset;
                match n.parent {
                    Some(parent) => {
                        node = parent;
                        self.node = XasNode::Node(parent);
                        continue;
                    }
                    None => {
                        self.node = XasNode::Head;
                        break;
                    }
                }
            }
            self.offset += 1;
            let mut curr = xa.entry(node, self.offset);
            if xa_is_sibling(curr) {
                continue;
            }
            while let Some(Entry::Node(child)) = curr {
                node = child;
                self.node = XasNode::Node(child);
                self.offset = 0;
                curr = xa.entry(child, 0);
            }
            if curr.is_some() {
                return curr;
            }
        }
        self.offset = self.offset.wrapping_sub(self.sibs);
        None
    }
}

impl XArray {
    /// `xa_load()`: the entry at `index` (a zero entry reads as NULL), as an RCU reader
    /// sees it.
    pub fn xa_load(&self, index: u64) -> Option<Entry> {
        let mut xas = XaState::new(index);
        loop {
            let entry = xas.load(self).filter(|e| *e != Entry::Zero);
            if !xas.retry(entry) {
                return entry;
            }
        }
    }
}
