//! Reading the array as a whole, for the inspector, the state rebuilt from a trace and
//! figures: its entries in index order, and its shape (nodes from the head down, with
//! every slot and the mark bitmaps).

use super::{Entry, NodeRef, XA_MAX_MARKS, XArray, XaMark};
use serde::{Deserialize, Serialize};

/// One entry as a user of the array knows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryView {
    /// The first index it covers (its canonical slot).
    pub index: u64,
    /// It covers 2^order indices.
    pub order: u32,
    pub entry: Entry,
    /// Bit m set when the entry carries mark m.
    pub marks: u8,
}

impl EntryView {
    pub fn marked(&self, mark: XaMark) -> bool {
        self.marks & (1 << mark.index()) != 0
    }
}

/// One node as the inspector draws it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
    pub serial: u32,
    /// 0 for the top node.
    pub depth: u32,
    pub shift: u8,
    /// Its slot in the parent.
    pub offset: u8,
    /// The first index its slots cover.
    pub first_index: u64,
    pub count: u8,
    pub nr_values: u8,
    /// The per-mark bitmaps over its 64 slots.
    pub marks: [u64; XA_MAX_MARKS],
    pub slots: Vec<Option<Entry>>,
}

/// The whole array.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct XaView {
    /// `xa_head` when it holds an entry itself (the lone entry at index 0), not a node.
    pub head_entry: Option<Entry>,
    /// The array's mark flags (bit m: some entry carries mark m).
    pub marks: u8,
    /// Depth first from the top node, each node before its children.
    pub nodes: Vec<NodeView>,
    pub entries: Vec<EntryView>,
}

impl XArray {
    /// Every entry in index order, each once, at its first index.
    pub fn entries(&self) -> Vec<EntryView> {
        let mut out = Vec::new();
        match self.head {
            Some(Entry::Node(top)) => self.collect(top, 0, &mut out),
            Some(entry) => out.push(EntryView { index: 0, order: 0, entry, marks: self.marks }),
            None => {}
        }
        out
    }

    fn collect(&self, node: NodeRef, base: u64, out: &mut Vec<EntryView>) {
        let n = self.node(node);
        for (off, slot) in n.slots.iter().enumerate() {
            let index = base | ((off as u64) << n.shift);
            match *slot {
                Some(Entry::Node(child)) => self.collect(child, index, out),
                Some(Entry::Sibling(_)) | None => {}
                Some(entry) => {
                    let siblings =
                        n.slots[off + 1..].iter().take_while(|s| **s == Some(Entry::Sibling(off as u8))).count();
                    let order = u32::from(n.shift) + (siblings as u32 + 1).trailing_zeros();
                    let marks = XaMark::ALL
                        .iter()
                        .filter(|m| n.get_mark(off as u8, **m))
                        .fold(0u8, |acc, m| acc | (1 << m.index()));
                    out.push(EntryView { index, order, entry, marks });
                }
            }
        }
    }

    /// The array's shape.
    pub fn view(&self) -> XaView {
        let mut nodes = Vec::new();
        if let Some(Entry::Node(top)) = self.head {
            self.view_node(top, 0, 0, &mut nodes);
        }
        let head_entry = self.head.filter(|e| !matches!(e, Entry::Node(_)));
        XaView { head_entry, marks: self.marks, nodes, entries: self.entries() }
    }

    fn view_node(&self, node: NodeRef, base: u64, depth: u32, out: &mut Vec<NodeView>) {
        let n = self.node(node);
        out.push(NodeView {
            serial: node.serial(),
            depth,
            shift: n.shift,
            offset: n.offset,
            first_index: base,
            count: n.count,
            nr_values: n.nr_values,
            marks: n.marks,
            slots: n.slots.to_vec(),
        });
        for (off, slot) in n.slots.iter().enumerate() {
            if let Some(Entry::Node(child)) = *slot {
                self.view_node(child, base | ((off as u64) << n.shift), depth + 1, out);
            }
        }
    }
}
