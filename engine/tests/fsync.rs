//! fsync: dax_writeback_mapping_range(), dax_writeback_one(), dax_mapping_entry_mkclean()
//! and the durability check behind every fsync.

mod common;

use common::*;
use daxlab::Outcome;
use daxlab::dax::dax_radix_sector;
use daxlab::mm::PmdSlot;
use daxlab::radix::{Item, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE};
use daxlab::trace::EventKind as E;

const BASE: u64 = 0x7f00_0000_0000;

fn scenario(thp: &str, size: &str, threads: &str) -> daxlab::Scenario {
    parse(&format!(
        r#"
name = "fsync"
description = "t"
thp = "{thp}"
[file]
size = "{size}"
[[process]]
name = "app"
mmap = {{ shared = true }}
{threads}
"#
    ))
}

fn one_thread(thp: &str, size: &str, ops: &str) -> daxlab::Scenario {
    scenario(thp, size, &format!("[[process.thread]]\nname = \"T0\"\nops = [{ops}]\n"))
}

#[test]
fn fsync_write_protects_flushes_and_cleans_a_4k_entry() {
    let sc = one_thread("never", "64KiB", r#"{ op = "store", at = 0x1000, value = 5 }, { op = "fsync" }"#);
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok, "the store is on the media when fsync returns");
        let step = |from: usize, what: &str, p: &dyn Fn(&E) -> bool| {
            pos(&ex, from, p).unwrap_or_else(|| panic!("missing: {what}"))
        };
        let tag = step(0, "tagging", &|k| matches!(k, E::TagForWriteback { tagged: 1, .. }));
        let find = step(
            tag,
            "lookup",
            &|k| matches!(k, E::FindEntries { start: 0, tag: Some(PAGECACHE_TAG_TOWRITE), indices, .. } if indices == &[1]),
        );
        let lock = step(find, "entry lock", &|k| matches!(k, E::EntryLock { index: 1, .. }));
        let towrite =
            step(lock, "TOWRITE cleared", &|k| matches!(k, E::TagClear { index: 1, tag: PAGECACHE_TAG_TOWRITE }));
        let clean = step(towrite, "mkclean", &|k| matches!(k, E::Mkclean { huge: false, .. }));
        // Block 1 = sector 8 = pmem offset 0x1000.
        let flush = step(clean, "flush", &|k| matches!(k, E::PmemFlush { offset: 0x1000, len: 0x1000 }));
        let dirty = step(flush, "DIRTY cleared", &|k| matches!(k, E::TagClear { index: 1, tag: PAGECACHE_TAG_DIRTY }));
        step(dirty, "unlock", &|k| matches!(k, E::EntryUnlock { index: 1, .. }));
        step(dirty, "empty rescan", &|k| matches!(k, E::FindEntries { indices, .. } if indices.is_empty()));
        let (_, _, _, tags) = s.entry(1).unwrap();
        assert_eq!(tags, 0, "neither DIRTY nor TOWRITE is left");
        let pte = s.pts[0].pte(BASE + 0x1000).unwrap();
        assert!(!pte.write && !pte.dirty, "write-protected and clean");
    }
}

#[test]
fn a_store_after_fsync_faults_dirties_the_entry_and_the_next_fsync_flushes_it() {
    let sc = one_thread(
        "never",
        "64KiB",
        r#"{ op = "store", at = 0x1000, value = 5 }, { op = "fsync" },
           { op = "store", at = 0x1008, value = 6 }, { op = "fsync" }"#,
    );
    for v in BOTH {
        let (ex, _) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        let first_exit = pos(&ex, 0, |k| matches!(k, E::SyscallExit { .. })).unwrap();
        // pfn_mkwrite: tag DIRTY, lock, make the PTE writable.
        let tag = pos(&ex, first_exit, |k| matches!(k, E::TagSet { index: 1, tag: PAGECACHE_TAG_DIRTY })).unwrap();
        pos(&ex, tag, |k| matches!(k, E::Store { value: 6, .. })).unwrap();
        assert_eq!(count(&ex, |k| matches!(k, E::PmemFlush { .. })), 2);
    }
}

#[test]
fn fsync_of_a_pmd_entry_write_protects_the_huge_pmd_and_flushes_2mib() {
    let sc = one_thread("always", "2MiB", r#"{ op = "store", at = 0x1000, value = 5 }, { op = "fsync" }"#);
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        let clean = pos(&ex, 0, |k| matches!(k, E::Mkclean { huge: true, addr: BASE, .. })).unwrap();
        pos(&ex, clean, |k| matches!(k, E::PmemFlush { len: 0x200000, .. })).unwrap();
        assert!(matches!(s.pts[0].slot(BASE), Some(PmdSlot::HugeDevmap { write: false, dirty: false, .. })));
        assert_eq!(s.entries[0].3, 0);
    }
}

#[test]
fn v4_11_rescans_from_start_index_after_every_batch() {
    let stores: Vec<String> =
        (0..20).map(|p| format!(r#"{{ op = "store", at = {:#x}, value = {} }}"#, p * 0x1000, p + 1)).collect();
    let sc = one_thread("never", "128KiB", &format!("{}, {{ op = \"fsync\" }}", stores.join(", ")));
    let (ex, s) = run(&sc, daxlab::Kernel::FIXED);
    assert_eq!(ex.outcome, Outcome::Ok);
    let lookups: Vec<(u64, usize)> = ex
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            E::FindEntries { start, tag: Some(PAGECACHE_TAG_TOWRITE), indices, .. } => Some((*start, indices.len())),
            _ => None,
        })
        .collect();
    // PAGEVEC_SIZE = 14: a batch of 14, then the other 6, then nothing — every one of them
    // from index 0.
    assert_eq!(lookups, vec![(0, 14), (0, 6), (0, 0)]);
    let passes: Vec<u32> = ex
        .events
        .iter()
        .filter_map(|e| match e.kind {
            E::WritebackRescan { start: 0, pass } => Some(pass),
            _ => None,
        })
        .collect();
    assert_eq!(passes, vec![1, 2]);
    assert_eq!(count(&ex, |k| matches!(k, E::PmemFlush { .. })), 20);
    assert!(s.entries.iter().all(|(_, _, _, tags)| *tags == 0));
}

#[test]
fn writeback_skips_an_entry_punched_out_or_reallocated_since_the_lookup() {
    let sc = scenario(
        "never",
        "64KiB",
        r#"
[[process.thread]]
name = "T0"
ops = [{ op = "store", at = 0x1000, value = 5 }, { op = "fsync" }]
[[process.thread]]
name = "T1"
ops = [{ op = "punch-hole", offset = 0x1000, length = 0x1000 }, { op = "store", at = 0x1000, value = 6 }]
"#,
    );
    // T0's writeback looked up entry 1 (sector 8) before T1 punched it out...
    let skipped = |ex: &daxlab::scenario::Execution, gone: &dyn Fn(&Option<Item>) -> bool| {
        let Some(found) = pos(ex, 0, |k| matches!(k, E::FindEntries { indices, .. } if indices == &[1])) else {
            return false;
        };
        let t0 = ex.events[found].tid;
        let deleted = pos(ex, found, |k| matches!(k, E::Delete { index: 1, .. }));
        let relook =
            ex.events[found..].iter().position(|e| e.tid == t0 && matches!(e.kind, E::Lookup { index: 1, .. }));
        match (deleted, relook) {
            (Some(d), Some(r)) if d < found + r => match &ex.events[found + r].kind {
                E::Lookup { found: f, .. } => {
                    gone(f) && !ex.events[found..].iter().any(|e| e.tid == t0 && matches!(e.kind, E::PmemFlush { .. }))
                }
                _ => false,
            },
            _ => false,
        }
    };
    for v in BOTH {
        // ... and finds nothing there any more,
        find(&sc, v, 2, |ex| skipped(ex, &|f| f.is_none())).expect("entry punched out");
        // ... or a new entry for another block (T1's store allocated a new one).
        find(&sc, v, 2, |ex| skipped(ex, &|f| matches!(f, Some(Item::Exceptional(e)) if dax_radix_sector(*e) != 8)))
            .expect("entry reallocated");
    }
}

#[test]
fn two_fsyncs_meeting_on_one_entry_flush_it_once() {
    let sc = load("fsync-vs-fsync");
    for v in BOTH {
        let (ex, s) = find(&sc, v, 2, |ex| {
            count(ex, |k| matches!(k, E::FindEntries { indices, .. } if indices == &[0])) == 2
                && count(ex, |k| matches!(k, E::PmemFlush { .. })) == 1
        })
        .expect("both fsyncs found the entry TOWRITE; the second waited and found TOWRITE gone");
        assert_eq!(ex.outcome, Outcome::Ok);
        assert_eq!(s.entries[0].3, 0);
    }
}

#[test]
fn fsync_built_ins_find_what_they_expect() {
    for (name, want) in [("fault-vs-fsync", vec![]), ("fsync-vs-fsync", vec!["data-loss"])] {
        let sc = load(name);
        for v in BOTH {
            let got = classes(&explore_all(&sc, v, 2));
            assert_eq!(got, want.iter().map(|s| s.to_string()).collect(), "{name} ({v})");
        }
    }
}
