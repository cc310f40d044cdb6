//! Reading the tree as a whole: its entries in index order and its shape, for the
//! inspector, the state rebuilt from a trace, and figures.

use super::tree::{NodeId, Slot, SlotRef};
use super::{Found, Item, RADIX_TREE_MAX_TAGS, RadixTree};
use serde::{Deserialize, Serialize};

impl RadixTree {
    /// Every entry in index order, with the first index it covers, its order and its tags.
    pub fn entries(&self) -> Vec<(Found, u8)> {
        let mut out = Vec::new();
        match self.root_slot() {
            Slot::Item(item) => out.push((Found { item, first_index: 0, order: 0 }, self.root_tags)),
            Slot::Node(n) => self.collect(n, 0, &mut out),
            _ => {}
        }
        out
    }

    fn collect(&self, node: NodeId, base: u64, out: &mut Vec<(Found, u8)>) {
        let nd = self.node(node);
        for (off, slot) in nd.slots.iter().enumerate() {
            let first = base | ((off as u64) << nd.shift);
            match *slot {
                Slot::Node(child) => self.collect(child, first, out),
                Slot::Item(item) => {
                    let at = SlotRef { node: Some(node), offset: off as u8 };
                    let order = nd.shift + self.slot_count(at).trailing_zeros();
                    let tags = (0..RADIX_TREE_MAX_TAGS)
                        .filter(|t| nd.tags[*t as usize] & (1 << off) != 0)
                        .fold(0u8, |acc, t| acc | (1 << t));
                    out.push((Found { item, first_index: first, order }, tags));
                }
                _ => {}
            }
        }
    }

    /// Number of nodes currently allocated.
    pub fn node_count(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_some()).count()
    }

    /// The tree's shape for display: nodes from the root down, depth first.
    pub fn view(&self) -> Vec<NodeView> {
        let mut out = Vec::new();
        if let Slot::Node(n) = self.root_slot() {
            self.view_node(n, 0, 0, &mut out);
        }
        out
    }

    /// The root pointer when it holds an entry directly (a lone entry at index 0).
    pub fn root_item(&self) -> Option<Item> {
        match self.root_slot() {
            Slot::Item(i) => Some(i),
            _ => None,
        }
    }

    fn view_node(&self, node: NodeId, base: u64, depth: u32, out: &mut Vec<NodeView>) {
        let nd = self.node(node);
        let slots = nd
            .slots
            .iter()
            .map(|s| match *s {
                Slot::Empty => SlotView::Empty,
                Slot::Node(c) => SlotView::Node(self.node(c).serial),
                Slot::Sibling(o) => SlotView::Sibling(o),
                Slot::Item(i) => SlotView::Item(i),
            })
            .collect();
        out.push(NodeView {
            serial: nd.serial,
            depth,
            shift: nd.shift,
            first_index: base,
            count: nd.count,
            exceptional: nd.exceptional,
            tags: nd.tags,
            slots,
        });
        for (off, slot) in nd.slots.iter().enumerate() {
            if let Slot::Node(child) = *slot {
                self.view_node(child, base | ((off as u64) << nd.shift), depth + 1, out);
            }
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotView {
    Empty,
    Node(u32),
    Sibling(u8),
    Item(Item),
}

/// One node as the inspector draws it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
    pub serial: u32,
    pub depth: u32,
    pub shift: u32,
    pub first_index: u64,
    pub count: u32,
    pub exceptional: u32,
    pub tags: [u64; RADIX_TREE_MAX_TAGS as usize],
    pub slots: Vec<SlotView>,
}
