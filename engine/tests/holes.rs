//! Read faults on 4 KiB holes: dax_load_hole(), page_cache_tree_insert()'s wake-all, the
//! hole-page branch of grab_mapping_entry() and the hole fill in
//! dax_insert_mapping_entry().

mod common;

use common::*;
use daxlab::Outcome;
use daxlab::check::Note;
use daxlab::mm::{PteKind, VmFault};
use daxlab::radix::{Item, PAGECACHE_TAG_DIRTY};
use daxlab::trace::{EventKind as E, RestartReason};

const BASE: u64 = 0x7f00_0000_0000;

fn holes(ops: &str) -> daxlab::Scenario {
    parse(&format!(
        r#"
name = "holes"
description = "4 KiB holes"
thp = "never"
[file]
size = "64KiB"
[[process]]
name = "app"
mmap = {{ shared = true }}
[[process.thread]]
name = "T0"
ops = [{ops}]
"#
    ))
}

#[test]
fn a_read_fault_on_a_hole_maps_a_zeroed_hole_page_in_place_of_the_empty_entry() {
    for v in BOTH {
        let (ex, s) = run(&holes(r#"{ op = "load", at = 0x5000 }"#), v);
        assert_eq!(ex.outcome, Outcome::Ok);
        let insert = pos(&ex, 0, |k| {
            matches!(k, E::Insert { index: 5, order: 0, item: Item::Exceptional(0x26), err: None, .. })
        })
        .expect("grab inserts the locked empty 4k entry 0x26");
        pos(&ex, insert, |k| matches!(k, E::PageCacheInsert { index: 5, replaced: Some(Item::Exceptional(0x26)), .. }))
            .expect("the hole page replaces exactly that entry");
        assert!(kinds(&ex).iter().any(|k| matches!(k, E::FaultDone { result: VmFault::NOPAGE, .. })));
        assert!(kinds(&ex).iter().any(|k| matches!(k, E::Load { value: 0, .. })));
        assert_eq!(s.entries, vec![(5, 0, Item::Page(0), 0)]);
        assert_eq!((s.nrpages, s.nrexceptional), (1, 0));
        let pte = s.pts[0].pte(BASE + 0x5000).expect("a PTE maps the hole page");
        assert_eq!(pte.kind, PteKind::File { page: 0 });
        assert!(!pte.write, "hole pages are mapped read-only");
    }
}

#[test]
fn page_cache_tree_insert_wakes_every_waiter_and_nobody_hangs() {
    let sc = holes(r#"{ op = "load", at = 0x5000 }"#);
    let mut sc3 = sc.clone();
    let t = sc3.processes[0].threads[0].clone();
    for name in ["T1", "T2"] {
        let mut t = t.clone();
        t.name = toml::Spanned::new(0..0, name.to_string());
        sc3.processes[0].threads.push(t);
    }
    for v in BOTH {
        let (ex, s) = find(&sc3, v, 2, |ex| {
            ex.events.iter().any(|e| matches!(&e.kind, E::Wake { all: true, woken, .. } if woken.iter().count() == 2))
        })
        .expect("an interleaving where two readers sleep on the empty entry");
        assert_eq!(ex.outcome, Outcome::Ok, "with the wake-all no reader is stranded");
        let wake = pos(&ex, 0, |k| matches!(k, E::Wake { all: true, .. })).unwrap();
        let woken = match &ex.events[wake].kind {
            E::Wake { woken, .. } => *woken,
            _ => unreachable!(),
        };
        for t in woken.iter() {
            // Each woken reader finds the page and takes the page lock, not the entry lock.
            assert!(ex.events[wake..].iter().any(|e| e.tid == t && matches!(e.kind, E::PageLock { page: 0 })));
            assert!(
                ex.events[wake..]
                    .iter()
                    .any(|e| e.tid == t && matches!(e.kind, E::GrabReturn { index: 5, result: Ok(Item::Page(0)), .. }))
            );
        }
        assert_eq!(s.nrpages, 1);
    }
}

#[test]
fn a_write_fills_the_hole_replacing_the_page_with_a_dirty_dax_entry() {
    for v in BOTH {
        let (ex, s) = run(&holes(r#"{ op = "load", at = 0x5000 }, { op = "store", at = 0x5000, value = 0xabcd }"#), v);
        assert_eq!(ex.outcome, Outcome::Ok);
        assert!(has_note(&ex, Note::HoleFill));
        let grab = pos(&ex, 0, |k| matches!(k, E::GrabReturn { index: 5, result: Ok(Item::Page(0)), .. }))
            .expect("the write fault gets the hole page back, locked");
        let unmap = pos(&ex, grab, |k| matches!(k, E::UnmapRange { start: 0x5000, len: 0x1000 }))
            .expect("the hole page is unmapped first");
        let del = pos(&ex, unmap, |k| matches!(k, E::PageCacheDelete { index: 5, page: 0 })).unwrap();
        // Block 1 is the first data block: sector 8, entry (8 << 6) | locked | exceptional.
        pos(&ex, del, |k| matches!(k, E::Insert { index: 5, order: 0, item: Item::Exceptional(0x206), err: None, .. }))
            .expect("a locked DAX entry takes its place");
        pos(&ex, del, |k| matches!(k, E::PageUnlock { page: 0 })).expect("the old page is unlocked");
        let (_, _, item, tags) = s.entry(5).unwrap();
        assert_eq!(item, Item::Exceptional(0x202), "unlocked 4k entry for sector 8");
        assert_ne!(tags & (1 << PAGECACHE_TAG_DIRTY), 0);
        assert_eq!((s.nrpages, s.nrexceptional), (0, 1));
        let pte = s.pts[0].pte(BASE + 0x5000).unwrap();
        assert_eq!(pte.kind, PteKind::Devmap);
        assert!(pte.write && pte.dirty, "pfn_mkwrite made the PTE writable for the store");
    }
}

#[test]
fn grab_restarts_when_the_hole_page_it_locked_was_truncated() {
    // write(2) invalidates the hole page (nrpages != 0) while a fault waits for its lock.
    let sc = parse(
        r#"
name = "truncated-page"
description = "t"
thp = "never"
[file]
size = "64KiB"
[[process]]
name = "app"
mmap = { shared = true }
[[process.thread]]
name = "T0"
ops = [{ op = "load", at = 0x5000 }, { op = "store", at = 0x5008, value = 1 }]
[[process.thread]]
name = "T1"
ops = [{ op = "write", at = 0x5000, value = 2 }]
"#,
    );
    for v in BOTH {
        let (ex, _) = find(&sc, v, 2, |ex| has_note(ex, Note::Restart { reason: RestartReason::PageTruncated }))
            .expect("an interleaving where the page goes while the fault waits for it");
        let restart = pos(&ex, 0, |k| matches!(k, E::Restart { reason: RestartReason::PageTruncated, .. })).unwrap();
        let deleted = pos(&ex, 0, |k| matches!(k, E::PageCacheDelete { index: 5, .. })).unwrap();
        assert!(deleted < restart);
        assert_eq!(ex.events[deleted].tid.0, 1, "write(2)'s invalidation removed it");
        assert!(matches!(ex.events[restart - 1].kind, E::PageUnlock { .. }), "unlock, put, goto restart");
    }
}

#[test]
fn a_read_fault_that_saw_a_hole_replaces_a_real_entry_with_a_hole_page() {
    // The fault-vs-write race (docs/races.md row 6) through a write fault: page_cache_tree_insert() WARNs.
    let sc = load("hole-read-then-write");
    for v in BOTH {
        // One preemption is enough to reach it.
        let r = explore_all(&sc, v, 1);
        assert_eq!(classes(&r), ["bug(hole-page-over-wrong-entry)".to_string()].into());
    }
}
