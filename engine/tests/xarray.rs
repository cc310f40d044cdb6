//! The XArray's structure and its stores and loads, each checked against the behaviour of
//! lib/xarray.c worked by hand (the comments give the walk).

use daxlab::kernel::Errno;
use daxlab::xarray::{Entry, XArray, XaState, XasNode, xa_mk_value};

const PMD: u64 = 0x200;

fn v(n: u64) -> Option<Entry> {
    Some(xa_mk_value(n))
}

/// Stores value `n` as an entry of `order` at `index` and checks the array afterwards.
fn put(xa: &mut XArray, index: u64, order: u32, n: u64) -> Option<Entry> {
    let mut xas = XaState::new_order(index, order);
    let old = xas.store(xa, v(n));
    assert_eq!(xas.error(), None);
    xa.verify().expect("consistent after the store");
    old
}

#[test]
fn value_entries_print_as_the_kernel_encodes_them() {
    // fs/dax.c v4.20: DAX_LOCKED | DAX_PMD | DAX_EMPTY = 0xb; xa_mk_value(0xb) = 0x17.
    assert_eq!(xa_mk_value(0xb).to_string(), "0x17");
    assert_eq!(Entry::Retry.raw(), Some(0x402));
    assert_eq!(Entry::Zero.raw(), Some(0x406));
    assert_eq!(Entry::Sibling(8).raw(), Some(0x22));
    // The kernel WARNs on values of 2^63 and up; the shift loses the top bit.
    assert_eq!(xa_mk_value(1 << 63), xa_mk_value(0));
}

#[test]
fn xa_state_order_rounds_the_index_and_splits_the_order() {
    let xas = XaState::new_order(0x2a3, 9);
    assert_eq!((xas.xa_index(), xas.order(), xas.xa_node()), (PMD, 9, XasNode::Restart));
    for order in [0, 1, 5, 6, 7, 9, 12] {
        assert_eq!(XaState::new_order(0, order).order(), order, "order {order}");
    }
}

#[test]
fn an_order_9_entry_is_a_canonical_slot_and_seven_siblings_in_a_shift_6_node() {
    let mut xa = XArray::new();
    assert_eq!(put(&mut xa, PMD, 9, 0xb), None);
    // xas_max() = 0x3ff needs one shift-6 node (indices 0..4095); it is the top node.
    let view = xa.view();
    assert_eq!(view.nodes.len(), 1);
    let node = &view.nodes[0];
    assert_eq!((node.shift, node.depth, node.count, node.nr_values), (6, 0, 8, 8));
    assert_eq!(node.slots[8], v(0xb));
    for off in 9..16 {
        assert_eq!(node.slots[off], Some(Entry::Sibling(8)), "slot {off}");
    }
    assert_eq!((node.slots[7], node.slots[16]), (None, None));
    let entries = xa.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].index, entries[0].order, entries[0].entry), (PMD, 9, xa_mk_value(0xb)));
}

#[test]
fn every_index_an_order_9_entry_covers_loads_the_canonical_entry() {
    let mut xa = XArray::new();
    put(&mut xa, PMD, 9, 0xb);
    for index in PMD..PMD + 512 {
        let mut xas = XaState::new(index);
        assert_eq!(xas.load(&xa), v(0xb), "index {index:#x}");
        // The walk stops on the canonical slot.
        assert_eq!(xas.xa_offset(), 8);
        assert_eq!(xas.xa_index(), index, "xas_load() leaves the index alone");
    }
    assert_eq!(xa.xa_load(PMD - 1), None);
    assert_eq!(xa.xa_load(PMD + 512), None);
    // Beyond what the one node covers: the walk goes to XAS_BOUNDS.
    let mut xas = XaState::new(0x1000);
    assert_eq!(xas.load(&xa), None);
    assert_eq!(xas.xa_node(), XasNode::Bounds);
}

#[test]
fn the_entry_at_index_0_alone_lives_in_the_head() {
    let mut xa = XArray::new();
    put(&mut xa, 0, 0, 1);
    assert_eq!(xa.node_count(), 0);
    assert_eq!(xa.view().head_entry, v(1));
    // Index 1 needs a node; the head entry moves to its slot 0.
    put(&mut xa, 1, 0, 2);
    assert_eq!(xa.node_count(), 1);
    assert_eq!(xa.view().nodes[0].slots[..2], [v(1), v(2)]);
    // Erasing index 1 shrinks the array back to the head.
    XaState::new(1).store(&mut xa, None);
    xa.verify().unwrap();
    assert_eq!((xa.node_count(), xa.view().head_entry), (0, v(1)));
}

#[test]
fn an_order_9_entry_at_index_0_goes_in_a_node_not_the_head() {
    let mut xa = XArray::new();
    put(&mut xa, 0, 9, 0xb);
    // xas_max() is 512 rather than 511, so the array grows a shift-6 top node.
    let view = xa.view();
    assert_eq!((view.head_entry, view.nodes.len(), view.nodes[0].shift), (None, 1, 6));
    assert_eq!(xa.xa_load(511), v(0xb));
    XaState::new(300).store(&mut xa, None);
    assert!(xa.xa_empty());
}

#[test]
fn a_store_over_part_of_a_multi_index_entry_replaces_the_whole_entry() {
    let mut xa = XArray::new();
    put(&mut xa, PMD, 9, 0xb);
    // An order-0 state at 0x2a0 stops at the PMD's canonical slot (an entry above its
    // level), so xas_store() writes that one slot: every index sees the new value.
    let old = put(&mut xa, 0x2a0, 0, 0xa);
    assert_eq!(old, v(0xb));
    assert_eq!((xa.xa_load(PMD), xa.xa_load(0x3ff)), (v(0xa), v(0xa)));
    assert_eq!(xa.entries()[0].order, 9);
}

#[test]
fn storing_null_anywhere_in_a_multi_index_entry_erases_all_of_it_and_frees_the_node() {
    let mut xa = XArray::new();
    put(&mut xa, PMD, 9, 0xb);
    let mut xas = XaState::new(0x2a0);
    assert_eq!(xas.store(&mut xa, None), v(0xb));
    xa.verify().unwrap();
    assert!(xa.xa_empty());
    assert_eq!(xa.node_count(), 0);
    // The node went away under the state, which is left out of bounds.
    assert_eq!(xas.xa_node(), XasNode::Bounds);
}

#[test]
fn a_multi_index_store_over_smaller_entries_frees_the_nodes_below_it() {
    let mut xa = XArray::new();
    put(&mut xa, 0x205, 0, 1);
    put(&mut xa, 0x2c0, 0, 2);
    put(&mut xa, 0x400, 0, 3);
    assert_eq!(xa.node_count(), 4, "a shift-6 node and three leaves");
    // xas_store() walks the slots 8..15 of the shift-6 node: slots 8 and 11 held leaves
    // (freed), the rest were empty. It returns the last non-sibling entry it displaced,
    // NULL from slot 15: "essentially meaningless" for a multi-index store.
    assert_eq!(put(&mut xa, PMD, 9, 0xb), None);
    assert_eq!(xa.node_count(), 2, "the leaves under the PMD range are gone");
    for index in [0x205, 0x2c0, 0x3ff] {
        assert_eq!(xa.xa_load(index), v(0xb), "{index:#x}");
    }
    assert_eq!(xa.xa_load(0x400), v(3), "the leaf outside the range stays");
    let top = &xa.view().nodes[0];
    assert_eq!((top.count, top.nr_values), (9, 8), "8 PMD slots and the leaf at slot 16");
}

#[test]
fn storing_the_same_entry_again_changes_nothing() {
    let mut xa = XArray::new();
    put(&mut xa, 0x205, 0, 1);
    let before = xa.view();
    assert_eq!(put(&mut xa, 0x205, 0, 1), v(1));
    assert_eq!(xa.view(), before);
}

#[test]
fn erasing_the_last_entry_of_a_tall_array_frees_every_node() {
    let mut xa = XArray::new();
    put(&mut xa, 5, 0, 1);
    put(&mut xa, 1 << 20, 0, 2);
    assert_eq!(xa.view().nodes[0].shift, 18, "four levels to reach index 2^20");
    XaState::new(1 << 20).store(&mut xa, None);
    xa.verify().unwrap();
    // The path to 2^20 is deleted bottom up, then the array shrinks to the leaf of index 5.
    let view = xa.view();
    assert_eq!((view.nodes.len(), view.nodes[0].shift), (1, 0));
    assert_eq!(xa.xa_load(5), v(1));
}

#[test]
fn a_walker_inside_a_freed_node_reads_a_retry_entry_and_restarts() {
    let mut xa = XArray::new();
    put(&mut xa, 0, 0, 1);
    put(&mut xa, 1, 0, 2);
    // An RCU reader has walked to index 0 (slot 0 of the node)...
    let mut reader = XaState::new(0);
    assert_eq!(reader.load(&xa), v(1));
    let XasNode::Node(node) = reader.xa_node() else { panic!("walked into the node") };
    // ...when a writer erases index 1: the array shrinks and frees that node, leaving
    // XA_RETRY_ENTRY in its slot 0.
    XaState::new(1).store(&mut xa, None);
    assert!(xa.node_freed(node));
    let entry = reader.load(&xa);
    assert_eq!(entry, Some(Entry::Retry));
    assert!(reader.retry(entry), "xas_retry() restarts the walk");
    assert_eq!(reader.xa_node(), XasNode::Restart);
    assert_eq!(reader.load(&xa), v(1), "found again, now in the head");
}

#[test]
fn internal_entries_are_refused_by_the_store() {
    let mut xa = XArray::new();
    put(&mut xa, 0x205, 0, 1);
    let mut xas = XaState::new(0x205);
    assert!(matches!(xas.load(&xa), Some(Entry::Value(1))));
    let node = match XaState::new_order(PMD, 9).load(&xa) {
        Some(n @ Entry::Node(_)) => n,
        other => panic!("a PMD-order load stops at the leaf pointer, got {other:?}"),
    };
    for bad in [node, Entry::Sibling(3)] {
        let mut xas = XaState::new(7);
        assert_eq!(xas.store(&mut xa, Some(bad)), None);
        assert_eq!(xas.error(), Some(Errno::Einval));
    }
    xa.verify().unwrap();
    assert_eq!(xa.entries().len(), 1);
}

#[test]
fn the_view_lists_nodes_depth_first_with_their_place_slots_and_marks() {
    let mut xa = XArray::new();
    put(&mut xa, 0x205, 0, 1);
    put(&mut xa, 0x400, 9, 0xb);
    put(&mut xa, 0x1003, 0, 2);
    let mut xas = XaState::new(0x1003);
    xas.load(&xa);
    xas.set_mark(&mut xa, daxlab::xarray::PAGECACHE_TAG_DIRTY);
    let view = xa.view();
    let shape: Vec<(u32, u8, u8, u64)> =
        view.nodes.iter().map(|n| (n.depth, n.shift, n.offset, n.first_index)).collect();
    // Top at shift 12; below its slot 0 the shift-6 node holding the leaf of 0x205 and
    // the PMD's 8 slots; below its slot 1 the path to 0x1003.
    assert_eq!(shape, vec![(0, 12, 0, 0), (1, 6, 0, 0), (2, 0, 8, 0x200), (1, 6, 1, 0x1000), (2, 0, 0, 0x1000)]);
    assert_eq!(view.nodes[0].marks[0], 1 << 1, "DIRTY below slot 1 of the top node");
    assert_eq!(view.nodes[4].marks[0], 1 << 3);
    assert_eq!(view.nodes[1].slots[16], v(0xb));
    assert_eq!(view.marks, 1, "the array's DIRTY flag");
    let orders: Vec<(u64, u32, u8)> = view.entries.iter().map(|e| (e.index, e.order, e.marks)).collect();
    assert_eq!(orders, vec![(0x205, 0, 0), (0x400, 9, 0), (0x1003, 0, 1)]);
    // The view travels as JSON to the workbench and back unchanged.
    let json = serde_json::to_string(&view).expect("serialises");
    assert_eq!(serde_json::from_str::<daxlab::xarray::XaView>(&json).expect("parses"), view);
}

#[test]
fn xas_set_points_the_state_elsewhere_and_the_next_operation_walks_from_the_head() {
    let mut xa = XArray::new();
    put(&mut xa, 0x205, 0, 1);
    put(&mut xa, PMD + 0x100, 0, 2);
    let mut xas = XaState::new(0x205);
    assert_eq!(xas.load(&xa), v(1));
    xas.set(PMD + 0x100);
    assert_eq!((xas.xa_index(), xas.xa_node()), (PMD + 0x100, XasNode::Restart));
    assert_eq!(xas.load(&xa), v(2));
    // xas_set_order() does the same for a multi-index state, rounding the index down.
    xas.set_order(0x2ff, 9);
    assert_eq!((xas.xa_index(), xas.order(), xas.xa_node()), (PMD, 9, XasNode::Restart));
    assert_eq!(xas.find_conflict(&xa), v(1));
}
