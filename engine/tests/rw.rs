//! read(2) and write(2): dax_iomap_rw(), dax_iomap_actor() and the invalidation a write
//! that allocates does (or, with nrpages == 0, does not do).

mod common;

use common::*;
use daxlab::Outcome;
use daxlab::mm::PmdSlot;
use daxlab::radix::Item;
use daxlab::trace::{EventKind as E, Syscall};

const BASE: u64 = 0x7f00_0000_0000;

fn one_thread(thp: &str, ops: &str) -> daxlab::Scenario {
    parse(&format!(
        r#"
name = "rw"
description = "t"
thp = "{thp}"
[file]
size = "4MiB"
[[process]]
name = "app"
mmap = {{ shared = true }}
[[process.thread]]
name = "T0"
ops = [{ops}]
"#
    ))
}

fn read_ret(ex: &daxlab::scenario::Execution) -> Vec<i64> {
    ex.events
        .iter()
        .filter_map(|e| match e.kind {
            E::SyscallExit { call: Syscall::Read, ret } => Some(ret),
            _ => None,
        })
        .collect()
}

#[test]
fn reading_a_hole_returns_zeros_and_creates_no_entry() {
    for v in BOTH {
        let (ex, s) = run(&one_thread("always", r#"{ op = "read", at = 0x3000 }"#), v);
        assert_eq!(ex.outcome, Outcome::Ok);
        pos(&ex, 0, |k| matches!(k, E::IoZero { pos: 0x3000, len: 8 })).unwrap();
        assert_eq!(read_ret(&ex), vec![8]);
        assert!(s.entries.is_empty() && s.extents.is_empty());
    }
}

#[test]
fn a_write_allocates_and_a_read_returns_the_data() {
    let ops = r#"{ op = "write", at = 0x3008, value = 0xbeef }, { op = "read", at = 0x3008 }, { op = "fsync" }"#;
    for v in BOTH {
        let (ex, s) = run(&one_thread("always", ops), v);
        assert_eq!(ex.outcome, Outcome::Ok, "write(2) is durable without a flush");
        let alloc = pos(&ex, 0, |k| matches!(k, E::IomapBegin { write: true, result: Ok(m), .. } if m.new)).unwrap();
        pos(&ex, alloc, |k| matches!(k, E::IoCopy { pos: 0x3008, write: true, value: 0xbeef, .. })).unwrap();
        pos(&ex, alloc, |k| matches!(k, E::IoCopy { pos: 0x3008, write: false, value: 0xbeef, .. })).unwrap();
        assert_eq!(read_ret(&ex), vec![8]);
        assert!(s.entries.is_empty(), "no DAX entry: write(2) takes no entry lock");
        assert_eq!(s.extents.len(), 1);
    }
}

#[test]
fn reading_past_eof_returns_nothing() {
    let ops = r#"{ op = "truncate", size = 0x2000 }, { op = "read", at = 0x3000 }"#;
    let (ex, _) = run(&one_thread("never", ops), daxlab::Kernel::FIXED);
    assert_eq!(read_ret(&ex), vec![0]);
}

#[test]
fn a_write_that_allocates_unmaps_and_drops_the_hole_page_when_nrpages_is_not_zero() {
    let ops =
        r#"{ op = "load", at = 0x5000 }, { op = "write", at = 0x5000, value = 0x77 }, { op = "load", at = 0x5000 }"#;
    for v in BOTH {
        let (ex, s) = run(&one_thread("never", ops), v);
        assert_eq!(ex.outcome, Outcome::Ok);
        let w = pos(&ex, 0, |k| matches!(k, E::SyscallEnter { call: Syscall::Write, .. })).unwrap();
        let unmap = pos(&ex, w, |k| matches!(k, E::UnmapRange { start: 0x5000, len: 0x1000 })).unwrap();
        let del = pos(&ex, unmap, |k| matches!(k, E::PageCacheDelete { index: 5, page: 0 })).unwrap();
        pos(&ex, del, |k| matches!(k, E::IoCopy { write: true, .. })).unwrap();
        // The next load faults again and maps the new block.
        pos(&ex, del, |k| matches!(k, E::Load { value: 0x77, .. })).unwrap();
        assert_eq!(s.nrpages, 0);
        assert!(matches!(s.entry(5), Some((5, 0, Item::Exceptional(_), _))));
    }
}

#[test]
fn with_no_hole_page_in_the_file_the_huge_zero_page_stays_mapped_over_new_data() {
    let sc = load("stale-hzp-read");
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert!(matches!(ex.outcome, Outcome::DataLoss { offset: 0x1000, expected: 0x5a5a, found: 0, .. }));
        let w = pos(&ex, 0, |k| matches!(k, E::SyscallEnter { call: Syscall::Write, .. })).unwrap();
        assert!(!ex.events[w..].iter().any(|e| matches!(e.kind, E::FindEntries { .. } | E::UnmapRange { .. })));
        pos(&ex, w, |k| matches!(k, E::Load { value: 0, .. })).expect("the second mmap read sees zeros");
        assert!(matches!(s.pts[0].slot(BASE), Some(PmdSlot::HugeZero { .. })));
        assert_eq!(s.entries, vec![(0, 9, Item::Exceptional(0x1a), 0)]);
    }
}

#[test]
fn with_a_hole_page_elsewhere_the_write_deletes_the_hzp_entry_without_unmapping_it() {
    // A hole page at 0x205 (a one-page mapping can only take 4 KiB faults) makes
    // nrpages != 0; invalidate_inode_pages2_range() then finds the HZP entry covering 1 and
    // dax_invalidate_mapping_entry_sync() deletes it — the huge zero page stays mapped.
    let sc = parse(
        r#"
name = "hzp-invalidate"
description = "t"
[file]
size = "4MiB"
[[process]]
name = "reader"
setup = true
mmap = { offset = 0x205000, length = 0x1000, shared = true }
[[process.thread]]
name = "main"
ops = [{ op = "load", at = 0x205000 }]
[[process]]
name = "app"
mmap = { shared = true }
[[process.thread]]
name = "T0"
ops = [{ op = "load", at = 0x1000 }, { op = "write", at = 0x1000, value = 0x99 }, { op = "load", at = 0x1000 }]
"#,
    );
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert!(matches!(ex.outcome, Outcome::DataLoss { expected: 0x99, found: 0, .. }));
        let w = pos(&ex, 0, |k| matches!(k, E::SyscallEnter { call: Syscall::Write, .. })).unwrap();
        let found = pos(&ex, w, |k| matches!(k, E::FindEntries { start: 1, indices, .. } if indices == &[0])).unwrap();
        pos(&ex, found, |k| matches!(k, E::Delete { index: 0, item: Item::Exceptional(0x1a) })).unwrap();
        assert!(!ex.events[w..].iter().any(|e| matches!(e.kind, E::UnmapRange { .. } | E::PmdSplit { .. })));
        assert!(matches!(s.pts[1].slot(BASE), Some(PmdSlot::HugeZero { .. })), "still mapped");
        assert_eq!(s.entries.iter().map(|e| e.0).collect::<Vec<_>>(), vec![0x205], "no entry behind it");
    }
}

#[test]
fn a_read_fault_that_saw_the_hole_maps_a_zero_page_after_write_filled_it() {
    let sc = load("fault-vs-write");
    for v in BOTH {
        let (ex, s) = find(&sc, v, 1, |ex| ex.outcome.is_failure()).expect("one preemption suffices");
        assert!(matches!(ex.outcome, Outcome::DataLoss { offset: 0x5000, expected: 0xfeed, found: 0, .. }));
        let hole = pos(
            &ex,
            0,
            |k| matches!(k, E::IomapBegin { write: false, result: Ok(m), .. } if m.kind == daxlab::fs::IomapType::Hole),
        )
        .unwrap();
        let write = pos(&ex, hole, |k| matches!(k, E::IoCopy { write: true, .. })).unwrap();
        pos(&ex, write, |k| matches!(k, E::PageCacheInsert { index: 5, .. })).expect("hole page after the write");
        assert_eq!(s.nrpages, 1);
    }
}
