//! The huge zero page (dax_pmd_load_hole) and grab_mapping_entry()'s PMD downgrade.

mod common;

use common::*;
use daxlab::Outcome;
use daxlab::check::Note;
use daxlab::dax::FallbackReason;
use daxlab::mm::{PmdKind, PmdSlot, VmFault};
use daxlab::radix::{Item, PAGECACHE_TAG_DIRTY};
use daxlab::trace::EventKind as E;

const BASE: u64 = 0x7f00_0000_0000;

#[test]
fn a_pmd_read_of_a_hole_maps_the_huge_zero_page() {
    let sc = parse(
        r#"
name = "hzp"
description = "t"
[file]
size = "2MiB"
[[process]]
name = "app"
mmap = { shared = true }
[[process.thread]]
name = "T0"
ops = [{ op = "load", at = 0x1000 }]
"#,
    );
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        let ins = pos(&ex, 0, |k| matches!(k, E::Insert { index: 0, order: 9, item: Item::Exceptional(0x2e), .. }))
            .expect("a locked empty PMD entry");
        pos(&ex, ins, |k| matches!(k, E::Replace { old: Item::Exceptional(0x2e), new: Item::Exceptional(0x1e), .. }))
            .expect("becomes the locked huge zero page entry 0x1e");
        pos(&ex, ins, |k| matches!(k, E::PmdInstall { new: PmdKind::HugeZero, write: false, .. })).unwrap();
        assert!(kinds(&ex).iter().any(|k| matches!(k, E::FaultDone { result: VmFault::NOPAGE, .. })));
        assert_eq!(s.entries, vec![(0, 9, Item::Exceptional(0x1a), 0)]);
        assert_eq!(s.nrexceptional, 1);
        assert!(matches!(s.pts[0].slot(BASE), Some(PmdSlot::HugeZero { .. })));
    }
}

#[test]
fn dax_pmd_load_hole_falls_back_when_the_pmd_slot_is_taken_but_leaves_the_hzp_entry() {
    let sc = load("pmd-downgrade");
    for v in BOTH {
        let (ex, _) = find(&sc, v, 2, |ex| has_note(ex, Note::Fallback { reason: FallbackReason::LoadHolePmdNotNone }))
            .expect("two PMD readers of one mm race to install the huge zero page");
        let fb = pos(&ex, 0, |k| matches!(k, E::Fallback { reason: FallbackReason::LoadHolePmdNotNone, .. })).unwrap();
        let tid = ex.events[fb].tid;
        // The entry was made (or kept) a huge zero page entry before the pmd_none() check.
        assert!(
            ex.events[..fb]
                .iter()
                .any(|e| e.tid == tid && matches!(e.kind, E::Replace { new: Item::Exceptional(0x1e), .. }))
        );
        assert_eq!(ex.outcome, Outcome::Ok);
    }
}

#[test]
fn a_4k_read_fault_downgrades_a_huge_zero_page_entry() {
    let sc = load("pmd-downgrade");
    for v in BOTH {
        // No preemption: setup, then T1 alone downgrades, then T2 and T3.
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        assert!(has_note(&ex, Note::PmdDowngrade));
        let t1 = |e: &&daxlab::trace::Event| e.tid.0 == 1;
        let ev: Vec<_> = ex.events.iter().filter(t1).map(|e| &e.kind).collect();
        let at = |p: &dyn Fn(&E) -> bool| ev.iter().position(|k| p(k)).expect("T1 does it");
        let lock = at(&|k| matches!(k, E::EntryLock { index: 0x205, entry: 0x1e }));
        let unmap = at(&|k| matches!(k, E::UnmapRange { start: 0x200000, len: 0x200000 }));
        let preload = at(&|k| matches!(k, E::Preload { ok: true, .. }));
        let delete = at(&|k| matches!(k, E::Delete { index: 0x205, item: Item::Exceptional(0x1e) }));
        let insert = at(&|k| matches!(k, E::Insert { index: 0x205, order: 0, item: Item::Exceptional(0x26), .. }));
        // (The wake-all between delete and insert finds nobody waiting in this schedule:
        // waitqueue_active() is false and no Wake event is recorded.)
        assert!(lock < unmap && unmap < preload && preload < delete && delete < insert);
        // Then T2 and T3's PMD faults meet the 4 KiB entry inside their range and fall back.
        assert!(has_note(&ex, Note::Fallback { reason: FallbackReason::GrabEexist }));
        let pages: Vec<u64> = s
            .entries
            .iter()
            .map(|(i, o, item, _)| {
                assert_eq!((*o, item.is_exceptional()), (0, false));
                *i
            })
            .collect();
        assert_eq!(pages, vec![0x205, 0x2a0, 0x3f0], "three 4 KiB hole pages");
        assert_eq!((s.nrpages, s.nrexceptional), (3, 0));
    }
}

#[test]
fn the_downgrade_wakes_all_waiters_on_the_pmd_key() {
    let sc = load("pmd-downgrade");
    for v in BOTH {
        let (ex, _) = find(&sc, v, 2, |ex| {
            has_note(ex, Note::PmdDowngrade)
                && ex.events.iter().any(|e| {
                    e.tid.0 == 1 && matches!(&e.kind, E::Wake { all: true, woken, .. } if woken.iter().count() == 2)
                })
        })
        .expect("T2 and T3 both asleep on the PMD entry T1 is downgrading");
        assert_eq!(ex.outcome, Outcome::Ok);
        // Both re-look-up their own index and fall back to 4 KiB.
        for t in [2u8, 3] {
            assert!(
                ex.events
                    .iter()
                    .any(|e| e.tid.0 == t && matches!(e.kind, E::Fallback { reason: FallbackReason::GrabEexist, .. }))
            );
        }
    }
}

#[test]
fn an_empty_pmd_entry_is_downgraded_without_unmapping() {
    // The unaligned allocator makes the PMD write fault fall back after grabbing: its
    // empty PMD entry stays, and the 4 KiB fault that follows downgrades it.
    let sc = parse(
        r#"
name = "empty-downgrade"
description = "t"
[file]
size = "4MiB"
allocator = "unaligned"
[[process]]
name = "app"
mmap = { shared = true }
[[process.thread]]
name = "T0"
ops = [{ op = "store", at = 0x2a0400, value = 7 }]
"#,
    );
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        assert!(has_note(&ex, Note::Fallback { reason: FallbackReason::PfnUnaligned }));
        let lock = pos(&ex, 0, |k| matches!(k, E::EntryLock { index: 0x2a0, entry: 0x2e })).expect("downgrade");
        let delete = pos(&ex, lock, |k| matches!(k, E::Delete { item: Item::Exceptional(0x2e), .. })).unwrap();
        assert!(!ex.events[lock..delete].iter().any(|e| matches!(e.kind, E::UnmapRange { .. })));
        let (first, order, item, tags) = s.entry(0x2a0).unwrap();
        assert_eq!((first, order), (0x2a0, 0));
        assert!(item.value().is_some_and(|e| e & 0x8 == 0), "a 4 KiB DAX entry");
        assert_ne!(tags & (1 << PAGECACHE_TAG_DIRTY), 0);
    }
}

#[test]
fn a_write_to_the_huge_zero_page_replaces_it_with_a_pmd_mapping() {
    let sc = parse(
        r#"
name = "hzp-write"
description = "t"
[file]
size = "2MiB"
[[process]]
name = "app"
mmap = { shared = true }
[[process.thread]]
name = "T0"
ops = [{ op = "load", at = 0x1000 }, { op = "store", at = 0x1000, value = 9 }]
"#,
    );
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        let lock = pos(&ex, 0, |k| matches!(k, E::EntryLock { index: 0, entry: 0x1e })).expect("wp_huge_pmd locks it");
        let unmap = pos(&ex, lock, |k| matches!(k, E::UnmapRange { start: 0, len: 0x200000 })).unwrap();
        pos(&ex, unmap, |k| matches!(k, E::Replace { old: Item::Exceptional(0x1e), .. })).unwrap();
        let (_, order, item, tags) = s.entry(0).unwrap();
        assert_eq!(order, 9);
        assert_eq!(item.value().map(|e| e & 0x3f), Some(0xa), "unlocked real PMD entry");
        assert_ne!(tags & (1 << PAGECACHE_TAG_DIRTY), 0);
        assert!(matches!(s.pts[0].slot(BASE), Some(PmdSlot::HugeDevmap { write: true, .. })));
    }
}
