//! The multi-order radix tree against the v4.11 semantics DAX relies on (lib/radix-tree.c as of v4.11).

use daxlab::kernel::Errno;
use daxlab::radix::{Item, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE, RadixTree, SlotView};

const X: u64 = 0x200;
const PMD: Item = Item::Exceptional(0x2e);
const PTE: Item = Item::Exceptional(0x26);

fn with_pmd() -> RadixTree {
    let mut t = RadixTree::new();
    t.insert(X, 9, PMD).expect("empty range");
    t
}

#[test]
fn pmd_entry_is_eight_sibling_slots_in_the_shift_6_node() {
    let t = with_pmd();
    let nodes = t.view();
    let node = nodes.iter().find(|n| n.shift == 6).expect("a shift-6 node");
    assert_eq!(node.slots[8], SlotView::Item(PMD));
    for off in 9..16 {
        assert_eq!(node.slots[off], SlotView::Sibling(8), "slot {off}");
    }
    assert_eq!(node.slots[7], SlotView::Empty);
    assert_eq!(node.slots[16], SlotView::Empty);
    assert_eq!(node.count, 8);
    assert_eq!(node.exceptional, 8);
}

#[test]
fn lookup_of_any_covered_index_returns_the_pmd_entry() {
    let t = with_pmd();
    for index in [X, X + 1, X + 0x3f, X + 0x40, X + 0x100, X + 0x1ff] {
        let f = t.lookup(index).unwrap_or_else(|| panic!("{index:#x} is covered"));
        assert_eq!(f.item, PMD);
        assert_eq!(f.first_index, X);
        assert_eq!(f.order, 9);
    }
    assert_eq!(t.lookup(X - 1), None);
    assert_eq!(t.lookup(X + 0x200), None);
}

#[test]
fn pmd_insert_fails_on_an_entry_at_its_index() {
    let mut t = RadixTree::new();
    t.insert(X, 0, PTE).unwrap();
    assert_eq!(t.insert(X, 9, PMD), Err(Errno::Eexist));
}

#[test]
fn pmd_insert_fails_on_a_4k_entry_anywhere_in_its_range() {
    for other in [X + 5, X + 0x3f, X + 0x40, X + 0x1ff] {
        let mut t = RadixTree::new();
        t.insert(other, 0, PTE).unwrap();
        assert_eq!(t.insert(X, 9, PMD), Err(Errno::Eexist), "4k entry at {other:#x}");
        // The failed insert left the tree as it was.
        assert_eq!(t.lookup(X), None);
        assert_eq!(t.lookup(other).map(|f| f.item), Some(PTE));
    }
}

#[test]
fn pmd_insert_fails_on_an_existing_pmd() {
    let mut t = with_pmd();
    assert_eq!(t.insert(X, 9, Item::Exceptional(0x4000e)), Err(Errno::Eexist));
}

#[test]
fn pmd_insert_succeeds_next_to_4k_entries_outside_its_range() {
    let mut t = RadixTree::new();
    t.insert(X - 1, 0, PTE).unwrap();
    t.insert(X + 0x200, 0, PTE).unwrap();
    assert_eq!(t.insert(X, 9, PMD), Ok(()));
}

#[test]
fn pte_insert_fails_when_covered_or_occupied() {
    let mut t = with_pmd();
    for index in [X, X + 5, X + 0x1ff] {
        assert_eq!(t.insert(index, 0, PTE), Err(Errno::Eexist), "{index:#x}");
    }
    let mut t = RadixTree::new();
    t.insert(7, 0, PTE).unwrap();
    assert_eq!(t.insert(7, 0, PTE), Err(Errno::Eexist));
    assert_eq!(t.insert(8, 0, PTE), Ok(()));
}

#[test]
fn delete_of_any_covered_index_removes_the_whole_entry() {
    let mut t = with_pmd();
    assert!(t.node_count() > 0);
    assert_eq!(t.delete(X + 0x123), Some(PMD));
    for index in [X, X + 0x40, X + 0x123, X + 0x1ff] {
        assert_eq!(t.lookup(index), None);
    }
    assert_eq!(t.node_count(), 0, "empty nodes are freed");
    // The range is free again for 4 KiB entries.
    assert_eq!(t.insert(X + 5, 0, PTE), Ok(()));
}

#[test]
fn delete_keeps_neighbours_and_shrinks_the_tree() {
    let mut t = RadixTree::new();
    t.insert(0, 0, PTE).unwrap();
    t.insert(0x1000, 0, PTE).unwrap();
    let tall = t.node_count();
    assert_eq!(t.delete(0x1000), Some(PTE));
    assert!(t.node_count() < tall, "the tree shrinks back");
    assert_eq!(t.lookup(0).map(|f| f.item), Some(PTE));
    assert_eq!(t.root_item(), Some(PTE), "a lone entry at index 0 moves to the root");
}

#[test]
fn replace_writes_the_canonical_slot() {
    let mut t = with_pmd();
    assert_eq!(t.replace(X + 0x77, Item::Exceptional(0x4000e)), Some(PMD));
    assert_eq!(t.lookup(X).unwrap().item, Item::Exceptional(0x4000e));
    assert_eq!(t.lookup(X + 0x1ff).unwrap().item, Item::Exceptional(0x4000e));
}

#[test]
fn tags_on_a_pmd_entry_are_shared_by_all_its_indices() {
    let mut t = with_pmd();
    assert!(!t.tag_get(X, PAGECACHE_TAG_DIRTY));
    assert!(t.tag_set(X + 0x1a0, PAGECACHE_TAG_DIRTY));
    assert!(t.tag_get(X, PAGECACHE_TAG_DIRTY));
    assert!(t.tag_get(X + 0x1ff, PAGECACHE_TAG_DIRTY));
    assert!(!t.tag_get(X, PAGECACHE_TAG_TOWRITE), "tags are independent");
    t.tag_set(X, PAGECACHE_TAG_TOWRITE);
    t.tag_clear(X + 3, PAGECACHE_TAG_DIRTY);
    assert!(!t.tag_get(X, PAGECACHE_TAG_DIRTY));
    assert!(t.tag_get(X + 3, PAGECACHE_TAG_TOWRITE));
    let entries = t.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].1, 1 << PAGECACHE_TAG_TOWRITE);
}

#[test]
fn tag_set_without_an_entry_is_refused() {
    let mut t = RadixTree::new();
    t.insert(5, 0, PTE).unwrap();
    assert!(!t.tag_set(6, PAGECACHE_TAG_DIRTY));
    assert!(!t.tag_get(5, PAGECACHE_TAG_DIRTY));
}

#[test]
fn deleting_a_tagged_entry_clears_its_tags_up_the_tree() {
    let mut t = RadixTree::new();
    t.insert(0x40, 0, PTE).unwrap();
    t.insert(0x80, 0, PTE).unwrap();
    t.tag_set(0x40, PAGECACHE_TAG_DIRTY);
    t.delete(0x40);
    assert!(!t.tag_get(0x80, PAGECACHE_TAG_DIRTY));
    t.insert(0x40, 0, PTE).unwrap();
    assert!(!t.tag_get(0x40, PAGECACHE_TAG_DIRTY), "a new entry starts untagged");
}

#[test]
fn tree_grows_for_large_indices_and_keeps_old_entries() {
    let mut t = RadixTree::new();
    t.insert(3, 0, PTE).unwrap();
    t.insert(0x12345, 0, Item::Page(1)).unwrap();
    assert_eq!(t.lookup(3).map(|f| f.item), Some(PTE));
    assert_eq!(t.lookup(0x12345).map(|f| f.item), Some(Item::Page(1)));
    assert_eq!(t.entries().len(), 2);
}
