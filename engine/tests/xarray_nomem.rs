//! Node allocation: the GFP_NOWAIT attempt under xa_lock that may fail, the -ENOMEM it
//! leaves in the xa_state, and xas_nomem()'s allocate-and-retry (the loop of
//! grab_mapping_entry()); and xas_create_range().

use daxlab::kernel::Errno;
use daxlab::xarray::{Entry, XArray, XaState, XasNode, xa_mk_value};
use std::cell::Cell;

fn v(n: u64) -> Option<Entry> {
    Some(xa_mk_value(n))
}

/// A GFP_NOWAIT allocator that succeeds `ok` times, then fails.
fn nowait(ok: u32) -> impl FnMut() -> bool {
    let mut left = ok;
    move || {
        let can = left > 0;
        left = left.saturating_sub(1);
        can
    }
}

#[test]
fn a_failed_nowait_allocation_stores_nothing_and_records_enomem() {
    let mut xa = XArray::new();
    let mut xas = XaState::new(0x205);
    assert_eq!(xas.store_with(&mut xa, v(1), &mut nowait(0)), None);
    assert_eq!(xas.error(), Some(Errno::Enomem));
    assert_eq!(xas.xa_node(), XasNode::Error(Errno::Enomem));
    assert!(xa.xa_empty());
}

#[test]
fn xas_nomem_allocates_one_node_and_the_retry_uses_it_first() {
    let mut xa = XArray::new();
    let mut xas = XaState::new(0x205);
    // The store needs two nodes (a shift-6 top node and a leaf). Under the lock the
    // first GFP_NOWAIT allocation fails.
    let mut nothing = nowait(0);
    xas.store_with(&mut xa, v(1), &mut nothing);
    // Lock dropped: xas_nomem() allocates (it may sleep) and asks for a retry.
    assert!(xas.nomem(|| true));
    assert!(xas.has_alloc());
    assert_eq!(xas.xa_node(), XasNode::Restart);
    // Retry: the kept node becomes the top node; the leaf's GFP_NOWAIT attempt fails again.
    xas.store_with(&mut xa, v(1), &mut nothing);
    assert_eq!(xas.error(), Some(Errno::Enomem));
    assert!(!xas.has_alloc());
    xa.verify().unwrap();
    assert_eq!((xa.node_count(), xa.xa_load(0x205)), (1, None), "the top node stays, empty");
    // Second round: now the store completes.
    assert!(xas.nomem(|| true));
    assert_eq!(xas.store_with(&mut xa, v(1), &mut nothing), None);
    assert_eq!(xas.error(), None);
    xa.verify().unwrap();
    assert_eq!((xa.node_count(), xa.xa_load(0x205)), (2, v(1)));
    // No error left: xas_nomem() ends the loop without allocating.
    let asked = Cell::new(false);
    assert!(!xas.nomem(|| {
        asked.set(true);
        true
    }));
    assert!(!asked.get());
}

#[test]
fn xas_nomem_returns_false_when_its_allocation_fails_and_the_error_stays() {
    let mut xa = XArray::new();
    let mut xas = XaState::new(0x205);
    xas.store_with(&mut xa, v(1), &mut nowait(0));
    assert!(!xas.nomem(|| false));
    // grab_mapping_entry() then sees -ENOMEM in the state: VM_FAULT_OOM.
    assert_eq!(xas.error(), Some(Errno::Enomem));
}

#[test]
fn an_unused_node_from_xas_nomem_is_dropped_at_the_end_of_the_loop() {
    let mut xa = XArray::new();
    let mut xas = XaState::new(0x205);
    xas.store_with(&mut xa, v(1), &mut nowait(0));
    assert!(xas.nomem(|| true));
    // While the lock was dropped another thread built the path.
    XaState::new(0x206).store(&mut xa, v(2));
    xas.store_with(&mut xa, v(1), &mut nowait(0));
    assert_eq!(xas.error(), None);
    assert!(xas.has_alloc(), "the kept node was not needed");
    assert!(!xas.nomem(|| true));
    assert!(!xas.has_alloc(), "xas_destroy() freed it");
}

#[test]
fn a_store_that_needs_no_node_never_allocates() {
    let mut xa = XArray::new();
    XaState::new(0x205).store(&mut xa, v(1));
    let asked = Cell::new(0);
    let mut count = || {
        asked.set(asked.get() + 1);
        false
    };
    let mut xas = XaState::new(0x206);
    xas.store_with(&mut xa, v(2), &mut count);
    assert_eq!((xas.error(), asked.get()), (None, 0));
    // Erasing allocates nothing either.
    XaState::new(0x205).store_with(&mut xa, None, &mut count);
    assert_eq!(asked.get(), 0);
}

#[test]
fn create_range_builds_every_leaf_of_a_pmd_range_and_leaves_the_state_at_its_start() {
    let mut xa = XArray::new();
    let mut xas = XaState::new_order(0x2a3, 9);
    xas.create_range(&mut xa);
    assert_eq!(xas.error(), None);
    xa.verify().unwrap();
    // One shift-6 node and the 8 leaves below slots 8..15, created last to first.
    let view = xa.view();
    assert_eq!(view.nodes.len(), 9);
    assert_eq!(view.nodes[0].slots.iter().filter(|s| matches!(s, Some(Entry::Node(_)))).count(), 8);
    assert!(view.entries.is_empty());
    // The state now stores single-index entries from the first index of the range.
    assert_eq!((xas.xa_index(), xas.order(), xas.xa_offset()), (0x200, 0, 0));
    let XasNode::Node(_) = xas.xa_node() else { panic!("at the first leaf") };
    xas.store(&mut xa, v(1));
    assert_eq!(xa.xa_load(0x200), v(1));
    assert_eq!(xa.node_count(), 9, "no allocation was needed for the store");
}

#[test]
fn create_range_that_runs_out_of_memory_keeps_its_range_and_the_error() {
    let mut xa = XArray::new();
    let mut xas = XaState::new_order(0x200, 9);
    xas.create_range_with(&mut xa, &mut nowait(4));
    assert_eq!(xas.error(), Some(Errno::Enomem));
    assert_eq!((xas.xa_index(), xas.order()), (0x200, 9));
    xa.verify().unwrap();
    assert_eq!(xa.node_count(), 4, "the shift-6 node and three leaves were made");
}
