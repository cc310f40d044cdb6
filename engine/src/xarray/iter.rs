//! Iteration: xas_find() / xas_next_entry() (the two halves of `xas_for_each()`) and
//! xas_find_marked() / xas_next_marked() (`xas_for_each_marked()`).
//!
//! An iteration reports each entry once, at its canonical slot: sibling slots are skipped,
//! and `xa_index` is moved to the first index of the entry found. A search that starts
//! inside a multi-index entry (a fresh state from xas_set()) loads it first, so the entry
//! covering the start is returned with `xa_index` left where it was.

use super::{Entry, NodeRef, XA_CHUNK_MASK, XA_CHUNK_SIZE, XArray, XaMark, XaState, XasNode, xa_is_internal};

impl XaState {
    /// `xas_find()`: the first present entry at or after the state's position, up to index
    /// `max`. A state not yet walked looks at `xa_index` itself; one that has been walked
    /// has processed the entry it points at and moves past it. None when nothing is left
    /// (the state is then at XAS_BOUNDS if it ran off the end of the array).
    pub fn find(&mut self, xa: &XArray, max: u64) -> Option<Entry> {
        if self.error().is_some() || self.node == XasNode::Bounds {
            return None;
        }
        if self.index > max {
            self.set_bounds();
            return None;
        }
        match self.node {
            XasNode::Head => {
                // Only index 0 lives in the head, and it has been seen.
                self.index = 1;
                self.set_bounds();
                return None;
            }
            XasNode::Restart => {
                let entry = self.load(xa);
                if entry.is_some() || self.not_node() {
                    return entry;
                }
            }
            XasNode::Node(n) if xa.node(n).shift == 0 && u64::from(self.offset) != self.index & XA_CHUNK_MASK => {
                // The caller moved xa_index: continue from the slot before it.
                self.offset = ((self.index.wrapping_sub(1) & XA_CHUNK_MASK) + 1) as u8;
            }
            _ => {}
        }
        let XasNode::Node(mut node) = self.node else { return None };
        self.next_offset(xa.node(node).shift);
        while self.index <= max {
            // (`>=`: a caller-moved index at a chunk boundary can carry the offset one past
            // the end, where the kernel would read beyond the slots.)
            if usize::from(self.offset) >= XA_CHUNK_SIZE {
                let n = xa.node(node);
                self.offset = n.offset + 1;
                let Some(parent) = n.parent else {
                    self.node = XasNode::Bounds;
                    return None;
                };
                node = parent;
                self.node = XasNode::Node(parent);
                continue;
            }
            let entry = xa.entry(node, self.offset);
            if let Some(Entry::Node(child)) = entry {
                node = child;
                self.node = XasNode::Node(child);
                self.offset = 0;
                continue;
            }
            if entry.is_some_and(|e| !matches!(e, Entry::Sibling(_))) {
                return entry;
            }
            self.next_offset(xa.node(node).shift);
        }
        None
    }

    /// `xas_next_entry()`: xas_find() with a fast path along a leaf node; any harder case
    /// (a node boundary, an internal entry, the limit) goes to xas_find().
    pub fn next_entry(&mut self, xa: &XArray, max: u64) -> Option<Entry> {
        let XasNode::Node(node) = self.node else { return self.find(xa, max) };
        if xa.node(node).shift != 0 || u64::from(self.offset) != self.index & XA_CHUNK_MASK {
            return self.find(xa, max);
        }
        loop {
            if self.index >= max || u64::from(self.offset) == XA_CHUNK_MASK {
                return self.find(xa, max);
            }
            let entry = xa.entry(node, self.offset + 1);
            if xa_is_internal(entry) {
                return self.find(xa, max);
            }
            self.offset += 1;
            self.index += 1;
            if entry.is_some() {
                return entry;
            }
        }
    }

    /// `xas_find_chunk()`: the first slot at or after the current one (after it, with
    /// `advance`) whose bit for `mark` is set in `node`; 64 if none.
    fn find_chunk(&self, xa: &XArray, node: NodeRef, advance: bool, mark: XaMark) -> u32 {
        let offset = u32::from(self.offset) + u32::from(advance);
        if offset < XA_CHUNK_SIZE as u32 {
            let data = xa.node(node).marks[mark.index()] & (u64::MAX << offset);
            if data != 0 {
                return data.trailing_zeros();
            }
        }
        XA_CHUNK_SIZE as u32
    }

    /// `xas_find_marked()`: like xas_find(), for entries carrying `mark`, descending only
    /// into subtrees whose slot is marked. When nothing is found before `max` the state is
    /// left at XAS_RESTART; when the array ends first, at XAS_BOUNDS.
    pub fn find_marked(&mut self, xa: &XArray, max: u64, mark: XaMark) -> Option<Entry> {
        if self.error().is_some() {
            return None;
        }
        if self.index > max {
            return self.marked_past_max();
        }
        match self.marked_start(xa, max, mark) {
            Ok(advance) => self.marked_scan(xa, max, mark, advance),
            Err(found) => found,
        }
    }

    /// The start of xas_find_marked(): a state not yet walked starts at the head (and is
    /// done at once if the head holds the only entry). Ok(advance) to go on scanning;
    /// Err(the result) when finished.
    fn marked_start(&mut self, xa: &XArray, max: u64, mark: XaMark) -> Result<bool, Option<Entry>> {
        match self.node {
            XasNode::Head => {
                self.index = 1;
                Err(self.marked_out(max))
            }
            XasNode::Bounds | XasNode::Restart => {
                let entry = xa.head;
                self.node = XasNode::Head;
                if self.index > xa.max_index(entry) {
                    return Err(self.marked_out(max));
                }
                let Some(Entry::Node(top)) = entry else {
                    if xa.xa_marked(mark) {
                        return Err(entry);
                    }
                    self.index = 1;
                    return Err(self.marked_out(max));
                };
                self.node = XasNode::Node(top);
                self.offset = (self.index >> xa.node(top).shift) as u8;
                Ok(false)
            }
            _ => Ok(true),
        }
    }

    /// The loop of xas_find_marked(): jump to the next marked slot of the node, descend
    /// into marked children, climb when a node is exhausted.
    fn marked_scan(&mut self, xa: &XArray, max: u64, mark: XaMark, mut advance: bool) -> Option<Entry> {
        let XasNode::Node(mut node) = self.node else { return None };
        while self.index <= max {
            if usize::from(self.offset) == XA_CHUNK_SIZE {
                let n = xa.node(node);
                self.offset = n.offset + 1;
                let Some(parent) = n.parent else {
                    self.node = XasNode::Head;
                    break;
                };
                node = parent;
                self.node = XasNode::Node(parent);
                advance = false;
                continue;
            }
            let shift = xa.node(node).shift;
            if !advance && let Some(Entry::Sibling(canonical)) = xa.entry(node, self.offset) {
                self.offset = canonical;
                self.move_index(shift, u32::from(canonical));
            }
            let offset = self.find_chunk(xa, node, advance, mark);
            if offset > u32::from(self.offset) {
                advance = false;
                self.move_index(shift, offset);
                // The index may have wrapped past the top of the index space.
                if self.index.wrapping_sub(1) >= max {
                    return self.marked_past_max();
                }
                self.offset = offset as u8;
                if offset == XA_CHUNK_SIZE as u32 {
                    continue;
                }
            }
            match xa.entry(node, self.offset) {
                // A mark on an empty slot, which no store leaves behind (verify() reports
                // it): the kernel would spin here forever; the model steps over it.
                None => advance = true,
                Some(Entry::Node(child)) => {
                    node = child;
                    self.node = XasNode::Node(child);
                    self.set_offset(xa, child);
                }
                entry => return entry,
            }
        }
        self.marked_out(max)
    }

    /// The `out:` label of xas_find_marked().
    fn marked_out(&mut self, max: u64) -> Option<Entry> {
        if self.index > max {
            return self.marked_past_max();
        }
        self.set_bounds();
        None
    }

    /// The `max:` label of xas_find_marked().
    fn marked_past_max(&mut self) -> Option<Entry> {
        self.node = XasNode::Restart;
        None
    }

    /// `xas_next_marked()`: xas_find_marked() with a fast path along a leaf node.
    pub fn next_marked(&mut self, xa: &XArray, max: u64, mark: XaMark) -> Option<Entry> {
        let XasNode::Node(node) = self.node else { return self.find_marked(xa, max, mark) };
        if xa.node(node).shift != 0 {
            return self.find_marked(xa, max, mark);
        }
        let offset = self.find_chunk(xa, node, true, mark);
        self.offset = offset as u8;
        self.index = (self.index & !XA_CHUNK_MASK).wrapping_add(u64::from(offset));
        if self.index > max {
            return None;
        }
        if offset == XA_CHUNK_SIZE as u32 {
            return self.find_marked(xa, max, mark);
        }
        match xa.entry(node, self.offset) {
            None => self.find_marked(xa, max, mark),
            entry => entry,
        }
    }
}
