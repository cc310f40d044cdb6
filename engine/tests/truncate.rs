//! truncate(2), hole punching, fallocate and drop_caches: dax_delete_mapping_entry(),
//! __dax_invalidate_mapping_entry(), dax_invalidate_mapping_entry(), the unmapping of the
//! range and the freeing of blocks.

mod common;

use common::*;
use daxlab::Outcome;
use daxlab::check::{Invariant, Note};
use daxlab::fs::ExtentState;
use daxlab::mm::{PmdKind, PteKind};
use daxlab::trace::{EventKind as E, KeepReason};

const BASE: u64 = 0x7f00_0000_0000;

fn scenario(thp: &str, size: &str, shared: bool, ops: &str) -> daxlab::Scenario {
    parse(&format!(
        r#"
name = "truncate"
description = "t"
thp = "{thp}"
[file]
size = "{size}"
[[process]]
name = "app"
mmap = {{ shared = {shared} }}
[[process.thread]]
name = "T0"
ops = [{ops}]
"#
    ))
}

#[test]
fn truncate_unmaps_deletes_entries_and_frees_blocks_beyond_the_new_eof() {
    let sc = scenario(
        "never",
        "64KiB",
        true,
        r#"{ op = "store", at = 0x1000, value = 1 }, { op = "store", at = 0x5000, value = 2 },
           { op = "truncate", size = 0x4000 }"#,
    );
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok, "the store beyond EOF is legitimately gone");
        let size = pos(&ex, 0, |k| matches!(k, E::Isize { old: 0x10000, new: 0x4000 })).unwrap();
        let unmap = pos(&ex, size, |k| matches!(k, E::UnmapRange { start: 0x4000, len: 0 })).unwrap();
        let found =
            pos(&ex, unmap, |k| matches!(k, E::FindEntries { start: 4, indices, .. } if indices == &[5])).unwrap();
        let delete = pos(&ex, found, |k| matches!(k, E::Delete { index: 5, .. })).unwrap();
        pos(&ex, delete, |k| matches!(k, E::BlocksFreed { fblk: 5, len: 1 })).unwrap();
        assert_eq!(s.entries.iter().map(|e| e.0).collect::<Vec<_>>(), vec![1]);
        assert_eq!(s.nrexceptional, 1);
        assert!(s.pts[0].pte(BASE + 0x5000).is_none() && s.pts[0].pte(BASE + 0x1000).is_some());
        assert_eq!(s.extents.iter().map(|e| (e.fblk, e.len)).collect::<Vec<_>>(), vec![(1, 1)]);
        assert_eq!(s.i_size, 0x4000);
    }
}

#[test]
fn a_fault_beyond_the_new_eof_gets_sigbus() {
    let sc = scenario(
        "never",
        "64KiB",
        true,
        r#"{ op = "truncate", size = 0x4000 }, { op = "store", at = 0x5000, value = 2 }"#,
    );
    for v in BOTH {
        let (ex, _) = run(&sc, v);
        assert!(matches!(ex.outcome, Outcome::Sigbus { addr, .. } if addr == BASE + 0x5000));
    }
}

#[test]
fn truncating_into_a_pmd_entry_deletes_the_whole_entry_found_at_its_first_index() {
    let sc = scenario(
        "always",
        "4MiB",
        true,
        r#"{ op = "store", at = 0x205400, value = 7 }, { op = "truncate", size = "3MiB" }"#,
    );
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        pos(&ex, 0, |k| matches!(k, E::PmdSplit { old: PmdKind::HugeDevmap, .. })).expect("the huge PMD is zapped");
        let found =
            pos(&ex, 0, |k| matches!(k, E::FindEntries { start: 0x300, indices, .. } if indices == &[0x200])).unwrap();
        pos(&ex, found, |k| matches!(k, E::Delete { index: 0x200, .. })).unwrap();
        assert!(s.entries.is_empty() && s.nrexceptional == 0);
        // Blocks below the new EOF stay, with the data.
        assert_eq!(s.extents.iter().map(|e| (e.fblk, e.len)).collect::<Vec<_>>(), vec![(0x200, 0x100)]);
    }
}

#[test]
fn fault_vs_truncate_runs_the_fault_wholly_before_or_after() {
    let sc = load("fault-vs-truncate");
    for v in BOTH {
        let r = explore_all(&sc, v, 2);
        assert!(classes(&r).is_empty());
        assert!(r.rows.iter().any(|row| row.notes.contains(&"fallback(beyond-eof)".to_string())));
        let (before, _) = find(&sc, v, 1, |ex| {
            pos(ex, 0, |k| matches!(k, E::PmdInstall { .. }))
                .is_some_and(|i| pos(ex, i, |k| matches!(k, E::Delete { index: 0x200, .. })).is_some())
        })
        .expect("fault first, then truncate deletes its PMD entry");
        assert_eq!(before.outcome, Outcome::Ok);
    }
}

#[test]
fn punch_hole_removes_dax_entries_and_hole_pages_in_the_range() {
    let sc = scenario(
        "never",
        "64KiB",
        true,
        r#"{ op = "store", at = 0x1000, value = 1 }, { op = "load", at = 0x3000 },
           { op = "store", at = 0x6000, value = 3 },
           { op = "punch-hole", offset = 0x1000, length = 0x3000 }"#,
    );
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        pos(&ex, 0, |k| matches!(k, E::UnmapRange { start: 0x1000, len: 0x3000 })).unwrap();
        pos(&ex, 0, |k| matches!(k, E::Delete { index: 1, .. })).unwrap();
        pos(&ex, 0, |k| matches!(k, E::PageCacheDelete { index: 3, .. })).unwrap();
        pos(&ex, 0, |k| matches!(k, E::BlocksFreed { fblk: 1, len: 1 })).unwrap();
        assert_eq!(s.entries.iter().map(|e| e.0).collect::<Vec<_>>(), vec![6]);
        assert_eq!((s.nrpages, s.nrexceptional), (0, 1));
        assert!(s.pts[0].pte(BASE + 0x1000).is_none() && s.pts[0].pte(BASE + 0x3000).is_none());
        assert_eq!(s.i_size, 0x10000, "KEEP_SIZE");
    }
}

#[test]
fn truncate_zaps_private_copies_beyond_eof_punch_hole_does_not() {
    let store = r#"{ op = "store", at = 0x5000, value = 1 }"#;
    for (op, kept) in [
        (r#"{ op = "truncate", size = 0x4000 }"#, false),
        (r#"{ op = "punch-hole", offset = 0x5000, length = 0x1000 }"#, true),
    ] {
        let sc = scenario("never", "64KiB", false, &format!("{store}, {op}"));
        let (ex, s) = run(&sc, daxlab::Kernel::FIXED);
        assert_eq!(ex.outcome, Outcome::Ok);
        let pte = s.pts[0].pte(BASE + 0x5000);
        assert_eq!(pte.is_some_and(|p| matches!(p.kind, PteKind::Anon { .. })), kept, "{op}");
        assert_eq!(s.pts[0].rss[1], i64::from(kept));
    }
}

#[test]
fn fallocate_allocates_unwritten_blocks_that_read_as_zeros_until_written() {
    let sc = scenario(
        "never",
        "64KiB",
        true,
        r#"{ op = "fallocate", offset = 0, length = 0x4000 }, { op = "load", at = 0x1000 },
           { op = "read", at = 0x2000 }, { op = "store", at = 0x1000, value = 4 }"#,
    );
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        pos(&ex, 0, |k| matches!(k, E::BlocksAllocated { fblk: 0, len: 4 })).unwrap();
        assert!(kinds(&ex).iter().any(|k| matches!(k, E::Load { value: 0, .. })));
        assert!(kinds(&ex).iter().any(|k| matches!(k, E::IoZero { pos: 0x2000, .. })));
        assert!(has_note(&ex, Note::HoleFill), "the unwritten block got a hole page first");
        let states: Vec<_> = s.extents.iter().map(|e| (e.fblk, e.len, e.state)).collect();
        assert_eq!(
            states,
            vec![(0, 1, ExtentState::Unwritten), (1, 1, ExtentState::Written), (2, 2, ExtentState::Unwritten)]
        );
    }
}

#[test]
fn drop_caches_deletes_clean_dax_entries_but_keeps_dirty_ones() {
    let sc = scenario(
        "never",
        "64KiB",
        true,
        r#"{ op = "store", at = 0x1000, value = 1 }, { op = "fsync" }, { op = "store", at = 0x2000, value = 2 },
           { op = "load", at = 0x5000 }, { op = "drop-caches" }"#,
    );
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        let drop =
            pos(&ex, 0, |k| matches!(k, E::SyscallEnter { call: daxlab::trace::Syscall::DropCaches, .. })).unwrap();
        let del = pos(&ex, drop, |k| matches!(k, E::Delete { index: 1, .. })).expect("clean entry 1 goes");
        pos(&ex, del, |k| matches!(k, E::InvalidateKeep { index: 2, reason: KeepReason::Dirty })).unwrap();
        // The mapped hole page stays (invalidate_inode_page skips mapped pages).
        assert_eq!(
            s.entries.iter().map(|e| (e.0, e.2.is_exceptional())).collect::<Vec<_>>(),
            vec![(2, true), (5, false)]
        );
        // ... and the deleted entry's PTE is still there: nothing unmapped it.
        assert!(s.pts[0].pte(BASE + 0x1000).is_some());
    }
}

#[test]
fn drop_caches_leaves_a_locked_entry_alone() {
    let sc = parse(
        r#"
name = "drop-locked"
description = "t"
thp = "never"
[file]
size = "64KiB"
[[process]]
name = "setup"
setup = true
mmap = { shared = true }
[[process.thread]]
name = "main"
ops = [{ op = "load", at = 0x1000 }, { op = "store", at = 0x2000, value = 1 }, { op = "fsync" }]
[[process]]
name = "app"
mmap = { shared = true }
[[process.thread]]
name = "T1"
ops = [{ op = "store", at = 0x2000, value = 2 }]
[[process.thread]]
name = "T2"
ops = [{ op = "drop-caches" }]
"#,
    );
    for v in BOTH {
        let (ex, _) = find(&sc, v, 2, |ex| {
            kinds(ex).iter().any(|k| matches!(k, E::InvalidateKeep { index: 2, reason: KeepReason::Locked }))
        })
        .expect("drop_caches meets the entry while T1's fault holds it");
        assert!(!kinds(&ex).iter().any(|k| matches!(k, E::Delete { index: 2, .. })));
    }
}

#[test]
fn a_mapped_entry_deleted_by_drop_caches_livelocks_the_next_store() {
    let sc = load("drop-caches-mapped-entry");
    for v in BOTH {
        let (ex, _) = run(&sc, v);
        assert!(matches!(ex.outcome, Outcome::Livelock { .. }));
        let drop = pos(&ex, 0, |k| matches!(k, E::Delete { index: 1, .. })).unwrap();
        // Every retry: lookup finds nothing, dax_pfn_mkwrite returns NOPAGE.
        let misses =
            ex.events[drop..].iter().filter(|e| matches!(e.kind, E::Lookup { index: 1, found: None, .. })).count();
        assert!(misses >= 30, "the store keeps faulting ({misses} empty lookups)");
    }
}

#[test]
fn truncate_racing_drop_caches_trips_dax_delete_mapping_entry_warning() {
    let sc = load("truncate-vs-drop-caches");
    for v in BOTH {
        let (ex, _) = find(&sc, v, 1, |ex| ex.outcome.is_failure()).unwrap();
        assert_eq!(ex.outcome, Outcome::Bug { invariant: Invariant::DeleteMissingEntry { index: 1 } });
        let warn = ex.events.len() - 1;
        let dropped = pos(&ex, 0, |k| matches!(k, E::Delete { index: 1, .. })).unwrap();
        assert_ne!(ex.events[dropped].tid, ex.events[warn].tid, "drop_caches deleted it, truncate WARNs");
    }
}
