//! xas_load() and xas_find_conflict() with a PMD-sized xa_state, and the marks: the two
//! things DAX's huge-page fault relies on. "dax: Fix huge page faults" (0e40de0338d0)
//! replaced the first with the second because a PMD-order xas_load() only looks at the
//! slot of the first 64 indices.

use daxlab::xarray::{
    Entry, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE, XArray, XaState, XasNode, xa_is_node, xa_mk_value,
};

const PMD: u64 = 0x200;

fn v(n: u64) -> Option<Entry> {
    Some(xa_mk_value(n))
}

fn put(xa: &mut XArray, index: u64, order: u32, n: u64) {
    let mut xas = XaState::new_order(index, order);
    xas.store(xa, v(n));
    assert_eq!(xas.error(), None);
    xa.verify().expect("consistent after the store");
}

/// Every entry xas_for_each_conflict() reports for a PMD state at `PMD`.
fn conflicts(xa: &XArray) -> Vec<Entry> {
    let mut xas = XaState::new_order(PMD, 9);
    std::iter::from_fn(|| xas.find_conflict(xa)).collect()
}

#[test]
fn a_pmd_order_load_sees_a_node_for_ptes_in_the_first_64_indices_and_null_elsewhere() {
    let mut xa = XArray::new();
    put(&mut xa, 0x205, 0, 1);
    // The walk stops at the shift-6 level: slot 8 holds the leaf of 0x200..0x23f.
    assert!(xa_is_node(XaState::new_order(PMD, 9).load(&xa)));
    let mut xa = XArray::new();
    put(&mut xa, 0x2c5, 0, 1);
    // Slot 8 is empty; the PTE entry in slot 11's leaf is not seen.
    assert_eq!(XaState::new_order(PMD, 9).load(&xa), None);
    assert_eq!(conflicts(&xa), vec![xa_mk_value(1)], "xas_find_conflict() sees it");
}

#[test]
fn find_conflict_reports_every_entry_in_the_range_once_in_index_order() {
    let mut xa = XArray::new();
    for (index, n) in [(0x1ff, 9), (0x201, 1), (0x240, 2), (0x3ff, 3), (0x400, 8)] {
        put(&mut xa, index, 0, n);
    }
    assert_eq!(conflicts(&xa), vec![xa_mk_value(1), xa_mk_value(2), xa_mk_value(3)]);
}

#[test]
fn after_the_last_conflict_the_state_points_at_the_canonical_slot_for_the_store() {
    let mut xa = XArray::new();
    put(&mut xa, 0x1ff, 0, 7);
    // The shift-6 node exists; its slots 8..15 are scanned and found empty.
    let mut xas = XaState::new_order(PMD, 9);
    assert_eq!(xas.find_conflict(&xa), None);
    assert!(matches!(xas.xa_node(), XasNode::Node(_)));
    assert_eq!(xas.xa_offset(), 8, "offset wound back by xa_sibs from 15");
    xas.store(&mut xa, v(0xb));
    xa.verify().unwrap();
    assert_eq!((xa.xa_load(PMD), xa.xa_load(0x3ff), xa.xa_load(0x1ff)), (v(0xb), v(0xb), v(7)));
}

#[test]
fn find_conflict_stops_above_the_pmd_level_when_the_path_is_missing() {
    let mut xa = XArray::new();
    put(&mut xa, 0x1000, 0, 7);
    // The top node is at shift 12 and its slot 0 is empty: no shift-6 node to scan, so
    // NULL at once, the state left at that slot, from where xas_store() builds the path.
    let mut xas = XaState::new_order(PMD, 9);
    assert_eq!(xas.find_conflict(&xa), None);
    assert_eq!(xas.xa_offset(), 0);
    xas.store(&mut xa, v(0xb));
    xa.verify().unwrap();
    assert_eq!((xa.xa_load(0x2a0), xa.xa_load(0x1000)), (v(0xb), v(7)));
    assert_eq!(xa.entries().iter().map(|e| (e.index, e.order)).collect::<Vec<_>>(), vec![(PMD, 9), (0x1000, 0)]);
}

#[test]
fn find_conflict_returns_a_covering_multi_index_entry() {
    let mut xa = XArray::new();
    put(&mut xa, PMD, 9, 0xb);
    assert_eq!(conflicts(&xa), vec![xa_mk_value(0xb)]);
    // An order-0 state anywhere inside it meets the PMD entry.
    let mut xas = XaState::new(0x3c3);
    assert_eq!(xas.find_conflict(&xa), v(0xb));
}

#[test]
fn find_conflict_of_an_order_0_state_is_the_entry_at_its_index() {
    let mut xa = XArray::new();
    put(&mut xa, 0x205, 0, 1);
    assert_eq!(XaState::new(0x205).find_conflict(&xa), v(1));
    assert_eq!(XaState::new(0x206).find_conflict(&xa), None);
    assert_eq!(XaState::new(0x9999).find_conflict(&xa), None);
}

#[test]
fn find_conflict_sees_the_entry_in_the_head() {
    let mut xa = XArray::new();
    put(&mut xa, 0, 0, 1);
    let mut xas = XaState::new_order(0, 9);
    assert_eq!(xas.find_conflict(&xa), v(1));
}

#[test]
fn a_mark_propagates_to_the_array_and_clears_only_when_no_entry_keeps_it() {
    let mut xa = XArray::new();
    put(&mut xa, 0x205, 0, 1);
    put(&mut xa, 0x2c5, 0, 2);
    for index in [0x205, 0x2c5] {
        let mut xas = XaState::new(index);
        xas.load(&xa);
        xas.set_mark(&mut xa, PAGECACHE_TAG_DIRTY);
        assert!(xas.get_mark(&xa, PAGECACHE_TAG_DIRTY));
        assert!(!xas.get_mark(&xa, PAGECACHE_TAG_TOWRITE));
    }
    xa.verify().unwrap();
    assert!(xa.xa_marked(PAGECACHE_TAG_DIRTY));
    let top = &xa.view().nodes[0];
    assert_eq!(top.marks[0], (1 << 8) | (1 << 11), "the shift-6 node marks the two leaves");
    let mut xas = XaState::new(0x205);
    xas.load(&xa);
    xas.clear_mark(&mut xa, PAGECACHE_TAG_DIRTY);
    xa.verify().unwrap();
    assert!(xa.xa_marked(PAGECACHE_TAG_DIRTY), "0x2c5 still carries it");
    let mut xas = XaState::new(0x2c5);
    xas.load(&xa);
    xas.clear_mark(&mut xa, PAGECACHE_TAG_DIRTY);
    xa.verify().unwrap();
    assert!(!xa.xa_marked(PAGECACHE_TAG_DIRTY));
}

#[test]
fn a_multi_index_entry_is_marked_on_its_canonical_slot_from_any_index() {
    let mut xa = XArray::new();
    put(&mut xa, PMD, 9, 0xb);
    let mut xas = XaState::new(0x3c3);
    xas.load(&xa);
    xas.set_mark(&mut xa, PAGECACHE_TAG_TOWRITE);
    xa.verify().unwrap();
    assert_eq!(xa.view().nodes[0].marks[2], 1 << 8);
    let mut other = XaState::new(0x211);
    other.load(&xa);
    assert!(other.get_mark(&xa, PAGECACHE_TAG_TOWRITE));
}

#[test]
fn a_pmd_store_over_a_marked_pte_entry_inherits_the_mark() {
    let mut xa = XArray::new();
    put(&mut xa, 0x2c5, 0, 1);
    let mut xas = XaState::new(0x2c5);
    xas.load(&xa);
    xas.set_mark(&mut xa, PAGECACHE_TAG_DIRTY);
    // xas_squash_marks(): slot 11 of the shift-6 node was marked; the mark moves to the
    // canonical slot 8.
    put(&mut xa, PMD, 9, 0xb);
    let entry = xa.entries()[0];
    assert_eq!((entry.index, entry.order), (PMD, 9));
    assert!(entry.marked(PAGECACHE_TAG_DIRTY));
    assert_eq!(xa.view().nodes[0].marks[0], 1 << 8);
}

#[test]
fn replacing_an_entry_keeps_its_marks_and_erasing_it_clears_them() {
    let mut xa = XArray::new();
    put(&mut xa, 0x205, 0, 1);
    let mut xas = XaState::new(0x205);
    xas.load(&xa);
    xas.set_mark(&mut xa, PAGECACHE_TAG_DIRTY);
    // dax_lock_entry(): a new value in the same slot.
    put(&mut xa, 0x205, 0, 3);
    assert!(xa.entries()[0].marked(PAGECACHE_TAG_DIRTY));
    XaState::new(0x205).store(&mut xa, None);
    xa.verify().unwrap();
    assert!(!xa.xa_marked(PAGECACHE_TAG_DIRTY));
}

#[test]
fn growing_the_array_carries_the_head_entrys_marks_into_the_new_node() {
    let mut xa = XArray::new();
    put(&mut xa, 0, 0, 1);
    let mut xas = XaState::new(0);
    xas.load(&xa);
    assert_eq!(xas.xa_node(), XasNode::Head);
    xas.set_mark(&mut xa, PAGECACHE_TAG_DIRTY);
    assert!(xa.xa_marked(PAGECACHE_TAG_DIRTY));
    put(&mut xa, 100, 0, 2);
    let marked: Vec<u64> = xa.entries().iter().filter(|e| e.marked(PAGECACHE_TAG_DIRTY)).map(|e| e.index).collect();
    assert_eq!(marked, vec![0]);
}

#[test]
fn verify_reports_a_mark_left_on_an_empty_slot() {
    let mut xa = XArray::new();
    put(&mut xa, 0x205, 0, 1);
    // xas_set_mark() after a load that found nothing marks the empty slot the walk
    // stopped at (the kernel's xa_set_mark() checks for an entry first).
    let mut xas = XaState::new(0x207);
    assert_eq!(xas.load(&xa), None);
    xas.set_mark(&mut xa, PAGECACHE_TAG_DIRTY);
    let err = xa.verify().expect_err("a mark on an empty slot");
    assert!(err.to_string().contains("slot 7"), "{err}");
    // The marked search the kernel would spin in steps over it and finds nothing.
    assert_eq!(XaState::new(0).find_marked(&xa, u64::MAX, PAGECACHE_TAG_DIRTY), None);
}

#[test]
fn find_conflict_on_a_state_walked_to_an_entry_returns_null_without_looking() {
    // Inside xas_for_each the state already points at a slot: an order-0 find_conflict
    // ends at once (the range of one slot is exhausted) — this is why a get_unlocked_entry()
    // called inside such a loop never waits for a locked entry.
    let mut xa = XArray::new();
    put(&mut xa, 0x205, 0, 1);
    put(&mut xa, 0x400, 9, 0xb);
    let mut xas = XaState::new(0);
    assert_eq!(xas.find(&xa, u64::MAX), v(1));
    assert_eq!(xas.find_conflict(&xa), None, "leaf entry");
    assert_eq!(xas.next_entry(&xa, u64::MAX), v(0xb));
    assert_eq!(xas.find_conflict(&xa), None, "PMD entry in a shift-6 node");
    let mut xa = XArray::new();
    put(&mut xa, 0, 0, 1);
    let mut xas = XaState::new(0);
    assert_eq!(xas.find(&xa, u64::MAX), v(1));
    assert_eq!(xas.find_conflict(&xa), None, "entry in the head");
    // A fresh state (or one reset after the lock was dropped) does look.
    xas.reset();
    assert_eq!(xas.find_conflict(&xa), v(1));
}

#[test]
fn a_marked_walk_off_the_end_of_a_shift_6_top_node_stops_at_0x1000() {
    // What dax_writeback_range_done reports on v6.1 for files of up to 4096 pages: the
    // index where xas_for_each_marked() stopped, not the end of the range.
    let mut xa = XArray::new();
    for index in [0x600, 0x601, 0x700] {
        put(&mut xa, index, 0, index);
        let mut xas = XaState::new(index);
        xas.load(&xa);
        xas.set_mark(&mut xa, PAGECACHE_TAG_TOWRITE);
    }
    let mut xas = XaState::new(0);
    let mut seen = Vec::new();
    let mut entry = xas.find_marked(&xa, 0x7_ffff_ffff_ffff, PAGECACHE_TAG_TOWRITE);
    while entry.is_some() {
        seen.push(xas.xa_index());
        entry = xas.next_marked(&xa, 0x7_ffff_ffff_ffff, PAGECACHE_TAG_TOWRITE);
    }
    assert_eq!(seen, vec![0x600, 0x601, 0x700]);
    assert_eq!((xas.xa_index(), xas.xa_node()), (0x1000, XasNode::Bounds));
}
