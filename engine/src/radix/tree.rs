//! The tree itself: pure data-structure code, no scheduling. Callers hold tree_lock.

use super::footprint as fp;
use super::{RADIX_TREE_MAP_MASK, RADIX_TREE_MAP_SHIFT, RADIX_TREE_MAP_SIZE, RADIX_TREE_MAX_TAGS};
use crate::footprint::{reads, writes};
use crate::kernel::Errno;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a slot can hold once the internal-pointer cases are set aside: an exceptional
/// value (the DAX entries; bit 1 set) or a struct page pointer (a 4 KiB hole page).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    Exceptional(u64),
    Page(u32),
}

impl Item {
    pub fn is_exceptional(self) -> bool {
        matches!(self, Item::Exceptional(_))
    }
    pub fn value(self) -> Option<u64> {
        match self {
            Item::Exceptional(v) => Some(v),
            Item::Page(_) => None,
        }
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Exceptional(v) => write!(f, "{v:#x}"),
            Item::Page(p) => write!(f, "page#{p}"),
        }
    }
}

pub(super) type NodeId = u32;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Slot {
    Empty,
    Node(NodeId),
    /// Internal pointer to the canonical slot at this offset of the same node.
    Sibling(u8),
    Item(Item),
}

#[derive(Clone, Debug)]
pub(super) struct Node {
    pub(super) serial: u32,
    pub(super) shift: u32,
    pub(super) offset: u8,
    pub(super) parent: Option<NodeId>,
    pub(super) count: u32,
    pub(super) exceptional: u32,
    pub(super) slots: [Slot; RADIX_TREE_MAP_SIZE],
    pub(super) tags: [u64; RADIX_TREE_MAX_TAGS as usize],
}

/// Where an entry lives: the node holding its canonical slot (None = the root pointer) and
/// the slot offset.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct SlotRef {
    pub(super) node: Option<NodeId>,
    pub(super) offset: u8,
}

/// Result of a lookup: the entry and the first index it covers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub item: Item,
    pub first_index: u64,
    pub order: u32,
}

#[derive(Clone, Debug, Default)]
pub struct RadixTree {
    pub(super) nodes: Vec<Option<Node>>,
    pub(super) free: Vec<NodeId>,
    pub(super) root: Option<Slot>,
    pub(super) root_tags: u8,
    pub(super) next_serial: u32,
}

fn shift_maxindex(shift: u32) -> u64 {
    ((RADIX_TREE_MAP_SIZE as u64) << shift).wrapping_sub(1)
}

impl RadixTree {
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn root_slot(&self) -> Slot {
        self.root.unwrap_or(Slot::Empty)
    }

    pub(super) fn node(&self, id: NodeId) -> &Node {
        self.nodes[id as usize].as_ref().expect("live radix node")
    }

    fn node_mut(&mut self, id: NodeId) -> &mut Node {
        self.nodes[id as usize].as_mut().expect("live radix node")
    }

    fn alloc_node(&mut self, parent: Option<NodeId>, shift: u32, offset: u8, count: u32) -> NodeId {
        let serial = self.next_serial;
        self.next_serial += 1;
        let node = Node {
            serial,
            shift,
            offset,
            parent,
            count,
            exceptional: 0,
            slots: [Slot::Empty; RADIX_TREE_MAP_SIZE],
            tags: [0; RADIX_TREE_MAX_TAGS as usize],
        };
        match self.free.pop() {
            Some(id) => {
                self.nodes[id as usize] = Some(node);
                id
            }
            None => {
                self.nodes.push(Some(node));
                (self.nodes.len() - 1) as NodeId
            }
        }
    }

    fn free_node(&mut self, id: NodeId) {
        self.nodes[id as usize] = None;
        self.free.push(id);
    }

    fn get(&self, at: SlotRef) -> Slot {
        match at.node {
            None => self.root_slot(),
            Some(n) => self.node(n).slots[at.offset as usize],
        }
    }

    fn set(&mut self, at: SlotRef, s: Slot) {
        match at.node {
            None => self.root = Some(s),
            Some(n) => self.node_mut(n).slots[at.offset as usize] = s,
        }
    }

    /// radix_tree_load_root(): the shift one level above the root node, and the largest
    /// index the tree can hold without growing.
    fn load_root(&self) -> (u32, u64) {
        match self.root_slot() {
            Slot::Node(n) => {
                let shift = self.node(n).shift;
                (shift + RADIX_TREE_MAP_SHIFT, shift_maxindex(shift))
            }
            _ => (0, 0),
        }
    }

    /// radix_tree_descend(): the slot for `index` in `node`, with a sibling resolved to its
    /// canonical slot.
    fn descend(&self, node: NodeId, index: u64) -> (u8, Slot) {
        let n = self.node(node);
        let mut offset = ((index >> n.shift) & RADIX_TREE_MAP_MASK) as u8;
        let mut slot = n.slots[offset as usize];
        if let Slot::Sibling(canonical) = slot {
            offset = canonical;
            slot = n.slots[offset as usize];
        }
        (offset, slot)
    }

    /// radix_tree_extend(): grow the tree upward until it can hold `index`.
    fn extend(&mut self, index: u64, mut shift: u32, alloc: &mut dyn FnMut() -> bool) -> Result<u32, Errno> {
        let mut maxshift = shift;
        while index > shift_maxindex(maxshift) {
            maxshift += RADIX_TREE_MAP_SHIFT;
        }
        let mut slot = self.root_slot();
        if slot != Slot::Empty {
            loop {
                if !alloc() {
                    return Err(Errno::Enomem);
                }
                let node = self.alloc_node(None, shift, 0, 1);
                for tag in 0..RADIX_TREE_MAX_TAGS {
                    if self.root_tags & (1 << tag) != 0 {
                        self.node_mut(node).tags[tag as usize] |= 1;
                    }
                }
                match slot {
                    Slot::Node(child) => self.node_mut(child).parent = Some(node),
                    Slot::Item(Item::Exceptional(_)) => self.node_mut(node).exceptional = 1,
                    _ => {}
                }
                self.node_mut(node).slots[0] = slot;
                slot = Slot::Node(node);
                self.root = Some(slot);
                shift += RADIX_TREE_MAP_SHIFT;
                if shift > maxshift {
                    break;
                }
            }
        }
        Ok(maxshift + RADIX_TREE_MAP_SHIFT)
    }

    /// __radix_tree_create(): make sure nodes exist down to the level that holds an entry
    /// of `order` at `index`. Stops early at a data entry that already covers the index.
    fn create(&mut self, index: u64, order: u32, alloc: &mut dyn FnMut() -> bool) -> Result<SlotRef, Errno> {
        let mut max = index | ((1u64 << order) - 1);
        let (mut shift, maxindex) = self.load_root();
        if order > 0 && max == (1u64 << order) - 1 {
            max += 1;
        }
        let mut child = self.root_slot();
        if max > maxindex {
            shift = self.extend(max, shift, alloc)?;
            child = self.root_slot();
        }
        let mut at = SlotRef { node: None, offset: 0 };
        while shift > order {
            shift -= RADIX_TREE_MAP_SHIFT;
            match child {
                Slot::Empty => {
                    if !alloc() {
                        return Err(Errno::Enomem);
                    }
                    let new = self.alloc_node(at.node, shift, at.offset, 0);
                    self.set(at, Slot::Node(new));
                    if let Some(parent) = at.node {
                        self.node_mut(parent).count += 1;
                    }
                    child = Slot::Node(new);
                }
                Slot::Node(_) => {}
                _ => break,
            }
            let Slot::Node(node) = child else { unreachable!() };
            let (offset, next) = self.descend(node, index);
            at = SlotRef { node: Some(node), offset };
            child = next;
        }
        Ok(at)
    }

    /// __radix_tree_insert(): -EEXIST if any of the slots the entry would occupy is in use,
    /// including by a pointer to a child node (a smaller entry somewhere below).
    pub fn insert(&mut self, index: u64, order: u32, item: Item) -> Result<(), Errno> {
        self.insert_with(index, order, item, &mut || true)
    }

    /// [`RadixTree::insert`] where `alloc` says whether each node the walk needs can be
    /// allocated (radix_tree_node_alloc()); when it cannot, the insert fails with -ENOMEM,
    /// keeping the nodes already added, as the kernel does.
    pub fn insert_with(
        &mut self,
        index: u64,
        order: u32,
        item: Item,
        alloc: &mut dyn FnMut() -> bool,
    ) -> Result<(), Errno> {
        let first = index & !((1u64 << order) - 1);
        writes(fp::entries(first, first + ((1u64 << order) - 1)));
        // Leftover empty nodes make a larger insert fail with -EEXIST: the shape is read,
        // and written if the walk allocates.
        let serial = self.next_serial;
        let r = self.insert_at(index, order, item, alloc);
        if self.next_serial != serial {
            writes(fp::shape())
        } else {
            reads(fp::shape())
        }
        r
    }

    fn insert_at(&mut self, index: u64, order: u32, item: Item, alloc: &mut dyn FnMut() -> bool) -> Result<(), Errno> {
        let at = self.create(index, order, alloc)?;
        let Some(node) = at.node else {
            if self.root_slot() != Slot::Empty {
                return Err(Errno::Eexist);
            }
            self.root = Some(Slot::Item(item));
            return Ok(());
        };
        let shift = self.node(node).shift;
        let n = if order > shift { 1usize << (order - shift) } else { 1 };
        let first = at.offset as usize & !(n - 1);
        let nd = self.node_mut(node);
        if nd.slots[first..first + n].iter().any(|s| *s != Slot::Empty) {
            return Err(Errno::Eexist);
        }
        nd.slots[first] = Slot::Item(item);
        for s in &mut nd.slots[first + 1..first + n] {
            *s = Slot::Sibling(first as u8);
        }
        nd.count += n as u32;
        if item.is_exceptional() {
            nd.exceptional += n as u32;
        }
        Ok(())
    }

    fn lookup_ref(&self, index: u64) -> Option<(SlotRef, Item)> {
        let at = self.walk_end(index)?;
        match self.get(at) {
            Slot::Item(item) => Some((at, item)),
            _ => None,
        }
    }

    /// Where __radix_tree_lookup() leaves its node and slot pointers for `index`: the slot
    /// its walk stopped at, empty or not. None past the tree's end, where it returns before
    /// setting them.
    fn walk_end(&self, index: u64) -> Option<SlotRef> {
        let (_, maxindex) = self.load_root();
        if index > maxindex {
            return None;
        }
        let mut at = SlotRef { node: None, offset: 0 };
        let mut slot = self.root_slot();
        while let Slot::Node(node) = slot {
            let (offset, next) = self.descend(node, index);
            at = SlotRef { node: Some(node), offset };
            slot = next;
        }
        Some(at)
    }

    /// Number of slots an entry occupies in its node (1 + its siblings).
    pub(super) fn slot_count(&self, at: SlotRef) -> u32 {
        let Some(node) = at.node else { return 1 };
        let n = self.node(node);
        1 + n.slots[at.offset as usize + 1..].iter().take_while(|s| **s == Slot::Sibling(at.offset)).count() as u32
    }

    fn describe(&self, at: SlotRef, item: Item) -> Found {
        let Some(node) = at.node else {
            return Found { item, first_index: 0, order: 0 };
        };
        let mut first = 0u64;
        let mut n = node;
        let mut offset = at.offset;
        loop {
            let nd = self.node(n);
            first |= u64::from(offset) << nd.shift;
            match nd.parent {
                Some(p) => {
                    offset = nd.offset;
                    n = p;
                }
                None => break,
            }
        }
        let shift = self.node(node).shift;
        let order = shift + self.slot_count(at).trailing_zeros();
        Found { item, first_index: first, order }
    }

    /// __radix_tree_lookup(): the entry covering `index`, found through sibling slots.
    pub fn lookup(&self, index: u64) -> Option<Found> {
        reads(fp::entries(index, index));
        self.lookup_ref(index).map(|(at, item)| self.describe(at, item))
    }

    /// Accounting of replace_slot(): count and exceptional change with the kind of item.
    fn replace_slot(&mut self, at: SlotRef, item: Option<Item>) {
        let old = match self.get(at) {
            Slot::Item(i) => Some(i),
            _ => None,
        };
        if let Some(node) = at.node {
            let count = i32::from(item.is_some()) - i32::from(old.is_some());
            let exc =
                i32::from(item.is_some_and(Item::is_exceptional)) - i32::from(old.is_some_and(Item::is_exceptional));
            let exc = exc * self.slot_count(at) as i32;
            let nd = self.node_mut(node);
            nd.count = nd.count.wrapping_add_signed(count);
            nd.exceptional = nd.exceptional.wrapping_add_signed(exc);
        }
        self.set(at, item.map_or(Slot::Empty, Slot::Item));
    }

    /// radix_tree_replace_slot() / __radix_tree_replace() on the entry covering `index`
    /// (how lock_slot/unlock_slot and entry replacement write the canonical slot).
    pub fn replace(&mut self, index: u64, item: Item) -> Option<Item> {
        let (lo, hi) = self.span(index);
        let (at, old) = self.lookup_ref(index)?;
        writes(fp::entries(lo, hi));
        // The nodes count their exceptional entries.
        if old.is_exceptional() != item.is_exceptional() {
            writes(fp::shape());
        }
        self.replace_slot(at, Some(item));
        Some(old)
    }

    /// __radix_tree_replace() through whatever slot a lookup of `index` stopped at, even an
    /// empty one: an item stored in an empty slot of a higher node covers all that slot's
    /// indices. What dax_insert_mapping_entry() does after its WARN when its lookup found
    /// nothing. False past the tree's end (the kernel's pointers are unset there).
    pub fn replace_at_walk_end(&mut self, index: u64, item: Item) -> bool {
        let Some(at) = self.walk_end(index) else { return false };
        let shift = at.node.map_or(0, |n| self.node(n).shift);
        let lo = index & !((1u64 << shift) - 1);
        writes(fp::entries(lo, lo + ((1u64 << shift) - 1)));
        writes(fp::shape());
        self.replace_slot(at, Some(item));
        true
    }

    fn delete_sibling_entries(&mut self, at: SlotRef) {
        let Some(node) = at.node else { return };
        let exceptional = matches!(self.get(at), Slot::Item(Item::Exceptional(_)));
        let nd = self.node_mut(node);
        for s in &mut nd.slots[at.offset as usize + 1..] {
            if *s != Slot::Sibling(at.offset) {
                break;
            }
            *s = Slot::Empty;
            nd.count -= 1;
            if exceptional {
                nd.exceptional -= 1;
            }
        }
    }

    /// radix_tree_delete(): removes the whole entry covering `index` (all its sibling
    /// slots) and frees nodes that become empty.
    pub fn delete(&mut self, index: u64) -> Option<Item> {
        let (lo, hi) = self.span(index);
        let (at, item) = self.lookup_ref(index)?;
        writes(fp::entries(lo, hi));
        fp::every_tag(lo, hi).for_each(writes);
        writes(fp::shape());
        let Some(node) = at.node else {
            self.root = None;
            self.root_tags = 0;
            return Some(item);
        };
        for tag in 0..RADIX_TREE_MAX_TAGS {
            self.node_tag_clear(Some(node), tag, at.offset);
        }
        self.delete_sibling_entries(at);
        self.replace_slot(at, None);
        self.delete_node(node);
        Some(item)
    }

    fn delete_node(&mut self, mut node: NodeId) {
        loop {
            if self.node(node).count > 0 {
                if self.root_slot() == Slot::Node(node) {
                    self.shrink();
                }
                return;
            }
            let parent = self.node(node).parent;
            match parent {
                Some(p) => {
                    let off = self.node(node).offset;
                    let pn = self.node_mut(p);
                    pn.slots[off as usize] = Slot::Empty;
                    pn.count -= 1;
                }
                None => {
                    self.root_tags = 0;
                    self.root = None;
                }
            }
            self.free_node(node);
            match parent {
                Some(p) => node = p,
                None => return,
            }
        }
    }

    /// radix_tree_shrink(): drop root nodes whose only child sits in slot 0.
    fn shrink(&mut self) {
        while let Slot::Node(node) = self.root_slot() {
            let nd = self.node(node);
            if nd.count != 1 {
                break;
            }
            let child = nd.slots[0];
            match child {
                Slot::Empty | Slot::Sibling(_) => break,
                Slot::Item(_) if nd.shift != 0 => break,
                _ => {}
            }
            if let Slot::Node(c) = child {
                self.node_mut(c).parent = None;
            }
            self.root = Some(child);
            self.free_node(node);
        }
    }

    fn node_tag_clear(&mut self, mut node: Option<NodeId>, tag: u32, mut offset: u8) {
        while let Some(n) = node {
            let nd = self.node_mut(n);
            let bit = 1u64 << offset;
            if nd.tags[tag as usize] & bit == 0 {
                return;
            }
            nd.tags[tag as usize] &= !bit;
            if nd.tags[tag as usize] != 0 {
                return;
            }
            offset = nd.offset;
            node = nd.parent;
        }
        self.root_tags &= !(1 << tag);
    }

    /// radix_tree_tag_set() on the entry covering `index`. Returns false (the kernel would
    /// BUG) if there is no entry.
    pub fn tag_set(&mut self, index: u64, tag: u32) -> bool {
        let (lo, hi) = self.span(index);
        writes(fp::tags(tag, lo, hi));
        let (_, maxindex) = self.load_root();
        if index > maxindex {
            return false;
        }
        let mut slot = self.root_slot();
        while let Slot::Node(node) = slot {
            let (offset, next) = self.descend(node, index);
            if next == Slot::Empty {
                return false;
            }
            self.node_mut(node).tags[tag as usize] |= 1 << offset;
            slot = next;
        }
        if slot == Slot::Empty {
            return false;
        }
        self.root_tags |= 1 << tag;
        true
    }

    /// radix_tree_tag_clear() on the entry covering `index`.
    pub fn tag_clear(&mut self, index: u64, tag: u32) {
        let (lo, hi) = self.span(index);
        writes(fp::tags(tag, lo, hi));
        if let Some((at, _)) = self.lookup_ref(index) {
            match at.node {
                Some(_) => self.node_tag_clear(at.node, tag, at.offset),
                None => self.root_tags &= !(1 << tag),
            }
        }
    }

    /// radix_tree_tag_get() on the entry covering `index`.
    pub fn tag_get(&self, index: u64, tag: u32) -> bool {
        let (lo, hi) = self.span(index);
        reads(fp::tags(tag, lo, hi));
        if self.root_tags & (1 << tag) == 0 {
            return false;
        }
        let (_, maxindex) = self.load_root();
        if index > maxindex {
            return false;
        }
        let mut slot = self.root_slot();
        if slot == Slot::Empty {
            return false;
        }
        while let Slot::Node(node) = slot {
            let (offset, next) = self.descend(node, index);
            if next == Slot::Empty || self.node(node).tags[tag as usize] & (1 << offset) == 0 {
                return false;
            }
            slot = next;
        }
        true
    }
}
