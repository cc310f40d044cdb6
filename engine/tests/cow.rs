//! Private mappings: the COW branch of dax_iomap_pte_fault(), wp_page_copy(), and the
//! private-write fallback (F1) of dax_iomap_pmd_fault().

mod common;

use common::*;
use daxlab::Outcome;
use daxlab::check::Note;
use daxlab::dax::FallbackReason;
use daxlab::mm::{PmdSlot, PteKind, VmFault};
use daxlab::radix::Item;
use daxlab::trace::{EventKind as E, Syscall};

const BASE: u64 = 0x7f00_0000_0000;

fn scenario(thp: &str, setup: &str, ops: &str) -> daxlab::Scenario {
    parse(&format!(
        r#"
name = "cow"
description = "t"
thp = "{thp}"
[file]
size = "2MiB"
[[process]]
name = "setup"
setup = true
mmap = {{ shared = true }}
[[process.thread]]
name = "main"
ops = [{setup}]
[[process]]
name = "private"
mmap = {{ shared = false }}
[[process.thread]]
name = "T0"
ops = [{ops}]
"#
    ))
}

#[test]
fn a_private_write_to_a_hole_falls_back_from_pmd_and_copies_into_an_anonymous_page() {
    let sc = scenario(
        "always",
        r#"{ op = "read", at = 0 }"#,
        r#"{ op = "store", at = 0x1000, value = 0x42 }, { op = "load", at = 0x1000 }"#,
    );
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        assert!(has_note(&ex, Note::Fallback { reason: FallbackReason::CowWrite }), "F1: COW is per 4 KiB");
        // The 4 KiB fault maps the hole without allocating (no IOMAP_WRITE for a COW).
        pos(&ex, 0, |k| matches!(k, E::IomapBegin { pos: 0x1000, write: false, .. })).unwrap();
        pos(&ex, 0, |k| matches!(k, E::FaultDone { result: VmFault::DONE_COW, .. })).unwrap();
        pos(&ex, 0, |k| matches!(k, E::Load { value: 0x42, .. })).unwrap();
        let pte = s.pts[1].pte(BASE + 0x1000).unwrap();
        assert!(matches!(pte.kind, PteKind::Anon { .. }) && pte.write);
        assert!(s.extents.is_empty(), "the file is not touched");
        // grab_mapping_entry() left its empty 4 KiB entry behind, unlocked.
        assert_eq!(s.entry(1), Some((1, 0, Item::Exceptional(0x22), 0)));
    }
}

#[test]
fn a_private_write_to_a_mapped_block_copies_the_pmem_data() {
    let setup = r#"{ op = "store", at = 0x1000, value = 0xa }"#;
    let ops =
        r#"{ op = "store", at = 0x1008, value = 0xb }, { op = "load", at = 0x1000 }, { op = "read", at = 0x1008 }"#;
    for thp in ["always", "never"] {
        for v in BOTH {
            let (ex, s) = run(&scenario(thp, setup, ops), v);
            assert_eq!(ex.outcome, Outcome::Ok);
            let t0 = |e: &&daxlab::trace::Event| e.tid.0 == 1;
            assert!(ex.events.iter().filter(t0).any(|e| matches!(e.kind, E::Load { value: 0xa, .. })), "{thp}");
            // read(2) sees the file, which still has 0 at 0x1008.
            assert!(ex.events.iter().any(|e| matches!(e.kind, E::IoCopy { pos: 0x1008, write: false, value: 0, .. })));
            let pte = s.pts[1].pte(BASE + 0x1000).unwrap();
            assert!(matches!(pte.kind, PteKind::Anon { .. }), "{thp}");
            assert_eq!(s.pts[1].rss[1], 1);
        }
    }
}

#[test]
fn a_private_write_through_a_read_only_pte_goes_to_wp_page_copy() {
    // THP off: the read maps the block with a read-only DAX PTE; the store then takes
    // do_wp_page() on a private vma.
    let sc = scenario(
        "never",
        r#"{ op = "store", at = 0x1000, value = 0xa }"#,
        r#"{ op = "load", at = 0x1000 }, { op = "store", at = 0x1000, value = 0xc }"#,
    );
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        let load = pos(&ex, 0, |k| matches!(k, E::Load { value: 0xa, .. })).unwrap();
        let faults_after = ex.events[load..].iter().filter(|e| matches!(e.kind, E::FaultBegin { .. })).count();
        assert_eq!(faults_after, 0, "no ->fault: the copy is made in do_wp_page()");
        pos(
            &ex,
            load,
            |k| matches!(k, E::PteInstall { pte, .. } if matches!(pte.kind, PteKind::Anon { .. }) && pte.write),
        )
        .unwrap();
        assert!(!ex.events.iter().any(|e| matches!(e.kind, E::SyscallEnter { call: Syscall::Write, .. })));
        assert!(matches!(s.pts[1].pte(BASE + 0x1000).map(|p| p.kind), Some(PteKind::Anon { .. })));
    }
}

#[test]
fn a_private_read_may_map_a_huge_pmd_and_a_write_then_splits_it() {
    let sc = scenario(
        "always",
        r#"{ op = "store", at = 0x1000, value = 0xa }"#,
        r#"{ op = "load", at = 0x1000 }, { op = "store", at = 0x1000, value = 0xc }"#,
    );
    for v in BOTH {
        let (ex, s) = run(&sc, v);
        assert_eq!(ex.outcome, Outcome::Ok);
        let load = pos(&ex, 0, |k| matches!(k, E::Load { value: 0xa, .. })).unwrap();
        assert!(ex.events[..load].iter().any(|e| e.tid.0 == 1 && matches!(e.kind, E::PmdInstall { write: false, .. })));
        let fb = pos(&ex, load, |k| matches!(k, E::Fallback { reason: FallbackReason::CowWrite, .. })).unwrap();
        pos(&ex, fb, |k| matches!(k, E::PmdSplit { .. })).expect("the fallback's split clears the read-only PMD");
        assert!(matches!(s.pts[1].slot(BASE), Some(PmdSlot::Table { .. })));
    }
}
