//! The radix-tree gang lookups behind find_get_entries[_tag]: multi-order entries are
//! reported once, at their first index, even when the walk starts inside them.

use daxlab::radix::{Item, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE, RadixTree};

fn tree() -> RadixTree {
    let mut t = RadixTree::new();
    t.insert(0x5, 0, Item::Exceptional(0x142)).unwrap();
    t.insert(0x200, 9, Item::Exceptional(0x400a)).unwrap();
    t.insert(0x401, 0, Item::Page(3)).unwrap();
    t.tag_set(0x2a0, PAGECACHE_TAG_DIRTY);
    t.tag_set(0x5, PAGECACHE_TAG_DIRTY);
    t
}

fn firsts(found: Vec<daxlab::radix::Found>) -> Vec<(u64, u32)> {
    found.into_iter().map(|f| (f.first_index, f.order)).collect()
}

#[test]
fn a_walk_starting_inside_a_pmd_entry_returns_it_at_its_first_index() {
    let t = tree();
    assert_eq!(firsts(t.gang_lookup(0x300, 14)), vec![(0x200, 9), (0x401, 0)]);
    assert_eq!(firsts(t.gang_lookup(0, 2)), vec![(0x5, 0), (0x200, 9)], "stops after max entries");
    assert!(t.gang_lookup(0x402, 14).is_empty());
}

#[test]
fn a_tagged_walk_sees_only_tagged_entries_once() {
    let t = tree();
    // Tagging any index inside the PMD entry tags its canonical slot.
    assert_eq!(firsts(t.gang_lookup_tag(0, 14, PAGECACHE_TAG_DIRTY)), vec![(0x5, 0), (0x200, 9)]);
    assert_eq!(firsts(t.gang_lookup_tag(0x3ff, 14, PAGECACHE_TAG_DIRTY)), vec![(0x200, 9)]);
    assert!(t.gang_lookup_tag(0, 14, PAGECACHE_TAG_TOWRITE).is_empty());
}
