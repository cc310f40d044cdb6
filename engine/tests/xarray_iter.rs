//! Iteration with xas_for_each / xas_for_each_marked, and what xas_pause() and xas_reset()
//! do to it when the lock is dropped in the middle (the difference behind the 2025 fix of
//! dax_layout_busy_page_range(): pause skips the entry, reset looks at it again).

use daxlab::xarray::{
    Entry, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE, XArray, XaFixes, XaMark, XaState, XasNode, xa_mk_value,
};

fn v(n: u64) -> Option<Entry> {
    Some(xa_mk_value(n))
}

fn put(xa: &mut XArray, index: u64, order: u32, n: u64) {
    let mut xas = XaState::new_order(index, order);
    xas.store(xa, v(n));
    assert_eq!(xas.error(), None);
}

fn mark(xa: &mut XArray, index: u64, mark: XaMark) {
    let mut xas = XaState::new(index);
    assert!(xas.load(xa).is_some());
    xas.set_mark(xa, mark);
}

/// 0x5 (order 0), 0x200 (order 9), 0x401 (order 0), 0x1000 (order 0).
fn array() -> XArray {
    array_with(XaFixes::ALL)
}

fn array_with(fixes: XaFixes) -> XArray {
    let mut xa = XArray::with_fixes(fixes);
    put(&mut xa, 0x5, 0, 1);
    put(&mut xa, 0x200, 9, 2);
    put(&mut xa, 0x401, 0, 3);
    put(&mut xa, 0x1000, 0, 4);
    xa.verify().unwrap();
    xa
}

/// `xas_for_each(&xas, entry, max)` from `start`: (xa_index, entry) of each step.
fn for_each(xa: &XArray, start: u64, max: u64) -> Vec<(u64, Entry)> {
    let mut xas = XaState::new(start);
    let mut out = Vec::new();
    let mut entry = xas.find(xa, max);
    while let Some(e) = entry {
        out.push((xas.xa_index(), e));
        entry = xas.next_entry(xa, max);
    }
    out
}

/// `xas_for_each_marked(&xas, entry, max, mark)` from `start`.
fn for_each_marked(xa: &XArray, start: u64, max: u64, mark: XaMark) -> Vec<u64> {
    let mut xas = XaState::new(start);
    let mut out = Vec::new();
    let mut entry = xas.find_marked(xa, max, mark);
    while entry.is_some() {
        out.push(xas.xa_index());
        entry = xas.next_marked(xa, max, mark);
    }
    out
}

#[test]
fn for_each_visits_each_entry_once_at_its_first_index() {
    let xa = array();
    let seen = for_each(&xa, 0, u64::MAX);
    let expect = [(0x5, 1), (0x200, 2), (0x401, 3), (0x1000, 4)];
    assert_eq!(seen, expect.map(|(i, n)| (i, xa_mk_value(n))).to_vec());
}

#[test]
fn for_each_stops_at_max() {
    let xa = array();
    let seen: Vec<u64> = for_each(&xa, 0, 0x401).into_iter().map(|(i, _)| i).collect();
    assert_eq!(seen, vec![0x5, 0x200, 0x401]);
    let seen: Vec<u64> = for_each(&xa, 0, 0x400).into_iter().map(|(i, _)| i).collect();
    assert_eq!(seen, vec![0x5, 0x200]);
}

#[test]
fn a_walk_starting_inside_a_multi_index_entry_returns_it_then_moves_on() {
    let xa = array();
    // xas_find() on a fresh state loads the start index: the PMD entry, with xa_index
    // still 0x300. The next step moves past all its sibling slots.
    let seen = for_each(&xa, 0x300, u64::MAX);
    assert_eq!(seen.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![0x300, 0x401, 0x1000]);
    assert_eq!(seen[0].1, xa_mk_value(2));
}

#[test]
fn deleting_the_entry_just_found_does_not_disturb_the_walk() {
    let mut xa = array();
    let mut xas = XaState::new(0);
    let mut seen = Vec::new();
    let mut entry = xas.find(&xa, u64::MAX);
    while entry.is_some() {
        seen.push(xas.xa_index());
        // The loop body may erase the entry at the cursor (as invalidation does).
        xas.store(&mut xa, None);
        entry = xas.next_entry(&xa, u64::MAX);
    }
    assert_eq!(seen, vec![0x5, 0x200, 0x401, 0x1000]);
    assert!(xa.xa_empty());
    assert_eq!(xa.node_count(), 0);
}

#[test]
fn for_each_marked_sees_only_marked_entries() {
    let mut xa = array();
    mark(&mut xa, 0x300, PAGECACHE_TAG_DIRTY);
    mark(&mut xa, 0x1000, PAGECACHE_TAG_DIRTY);
    mark(&mut xa, 0x5, PAGECACHE_TAG_TOWRITE);
    assert_eq!(for_each_marked(&xa, 0, u64::MAX, PAGECACHE_TAG_DIRTY), vec![0x200, 0x1000]);
    assert_eq!(for_each_marked(&xa, 0, u64::MAX, PAGECACHE_TAG_TOWRITE), vec![0x5]);
    // Started inside the PMD entry: in its canonical slot's range the index is kept; from
    // a sibling slot it moves back to the canonical slot's first index.
    assert_eq!(for_each_marked(&xa, 0x201, u64::MAX, PAGECACHE_TAG_DIRTY), vec![0x201, 0x1000]);
    assert_eq!(for_each_marked(&xa, 0x240, u64::MAX, PAGECACHE_TAG_DIRTY), vec![0x200, 0x1000]);
    assert_eq!(for_each_marked(&xa, 0x400, 0xfff, PAGECACHE_TAG_DIRTY), Vec::<u64>::new());
}

#[test]
fn tagging_for_writeback_inside_a_marked_walk() {
    // tag_pages_for_writeback(): every DIRTY entry in the range also gets TOWRITE.
    let mut xa = array();
    for index in [0x5, 0x200, 0x401] {
        mark(&mut xa, index, PAGECACHE_TAG_DIRTY);
    }
    let mut xas = XaState::new(0x100);
    let mut entry = xas.find_marked(&xa, 0x1000, PAGECACHE_TAG_DIRTY);
    while entry.is_some() {
        xas.set_mark(&mut xa, PAGECACHE_TAG_TOWRITE);
        entry = xas.next_marked(&xa, 0x1000, PAGECACHE_TAG_DIRTY);
    }
    xa.verify().unwrap();
    assert_eq!(for_each_marked(&xa, 0, u64::MAX, PAGECACHE_TAG_TOWRITE), vec![0x200, 0x401]);
}

#[test]
fn a_marked_search_past_max_leaves_the_state_at_restart() {
    let mut xa = array();
    mark(&mut xa, 0x1000, PAGECACHE_TAG_DIRTY);
    let mut xas = XaState::new(0);
    assert_eq!(xas.find_marked(&xa, 0xfff, PAGECACHE_TAG_DIRTY), None);
    assert_eq!(xas.xa_node(), XasNode::Restart);
}

#[test]
fn pause_moves_past_the_whole_entry_and_the_walk_goes_on_after_it() {
    let xa = array();
    let mut xas = XaState::new(0x100);
    assert_eq!(xas.find(&xa, u64::MAX), v(2));
    assert_eq!(xas.xa_index(), 0x200);
    // Drop the lock in the middle of the walk: xas_pause() first.
    xas.pause(&xa);
    assert_eq!((xas.xa_index(), xas.xa_node()), (0x400, XasNode::Restart), "past 8 slots of 64");
    assert_eq!(xas.find(&xa, u64::MAX), v(3));
    assert_eq!(xas.xa_index(), 0x401);
    // Paused on an order-0 entry: one index on.
    xas.pause(&xa);
    assert_eq!(xas.xa_index(), 0x402);
    assert_eq!(xas.find(&xa, u64::MAX), v(4));
}

#[test]
fn pause_after_a_load_inside_a_pmd_entry_skips_what_follows_it_before_the_v6_14_fix() {
    // xas_find() from 0x210 loads the PMD entry and leaves xa_index at 0x210.
    for (fixes, resumes_at, next) in [(XaFixes::NONE, 0x410, v(4)), (XaFixes::ALL, 0x400, v(3))] {
        let xa = array_with(fixes);
        let mut xas = XaState::new(0x210);
        assert_eq!(xas.find(&xa, u64::MAX), v(2));
        assert_eq!(xas.xa_index(), 0x210);
        xas.pause(&xa);
        assert_eq!(xas.xa_index(), resumes_at, "{fixes:?}");
        // Without the fix 0x401 is never seen.
        assert_eq!(xas.find(&xa, u64::MAX), next, "{fixes:?}");
    }
}

#[test]
fn reset_walks_again_to_the_same_index_and_finds_the_same_entry() {
    let xa = array();
    let mut xas = XaState::new(0x100);
    assert_eq!(xas.find(&xa, u64::MAX), v(2));
    xas.reset();
    assert_eq!((xas.xa_index(), xas.xa_node()), (0x200, XasNode::Restart));
    assert_eq!(xas.find(&xa, u64::MAX), v(2), "the entry is looked at again");
}

#[test]
fn pause_on_the_head_entry_moves_to_index_1() {
    let mut xa = XArray::new();
    put(&mut xa, 0, 0, 1);
    let mut xas = XaState::new(0);
    assert_eq!(xas.find(&xa, u64::MAX), v(1));
    assert_eq!(xas.xa_node(), XasNode::Head);
    xas.pause(&xa);
    assert_eq!((xas.xa_index(), xas.xa_node()), (1, XasNode::Restart));
    assert_eq!(xas.find(&xa, u64::MAX), None);
    assert_eq!(xas.xa_node(), XasNode::Bounds);
}

#[test]
fn pause_keeps_the_walk_correct_when_the_array_changes_meanwhile() {
    let mut xa = array();
    let mut xas = XaState::new(0);
    assert_eq!(xas.find(&xa, u64::MAX), v(1));
    xas.pause(&xa);
    // While the lock is dropped another thread erases the PMD entry and adds 0x300.
    XaState::new(0x200).store(&mut xa, None);
    put(&mut xa, 0x300, 0, 9);
    let mut rest = vec![xas.find(&xa, u64::MAX)];
    while let Some(e) = xas.next_entry(&xa, u64::MAX) {
        rest.push(Some(e));
    }
    assert_eq!(rest, vec![v(9), v(3), v(4)]);
}

#[test]
fn an_error_state_finds_nothing_and_pause_leaves_it() {
    let xa = array();
    let mut xas = XaState::new(0x5);
    xas.set_err(daxlab::kernel::Errno::Eio);
    assert!(xas.invalid());
    xas.pause(&xa);
    assert_eq!(xas.error(), Some(daxlab::kernel::Errno::Eio));
    assert_eq!(xas.find(&xa, u64::MAX), None);
    assert_eq!(xas.find_marked(&xa, u64::MAX, PAGECACHE_TAG_DIRTY), None);
    assert_eq!(xas.find_conflict(&xa), None);
    assert_eq!(xas.load(&xa), None);
    xas.reset();
    assert_eq!(xas.error(), None);
    assert_eq!(xas.load(&xa), v(1), "xas_reset() clears the error");
}
