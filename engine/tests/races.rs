//! docs/races.md, checked: every related race the v4.11 model reproduces, through its
//! built-in scenario, ends in the outcome the table (and the scenario's [expect]) says.

mod common;

use common::*;
use daxlab::Kernel;
use daxlab::check::Note;
use daxlab::dax::FallbackReason;
use daxlab::trace::EventKind as E;
use std::collections::BTreeSet;

fn expected(sc: &daxlab::Scenario, v: Kernel) -> BTreeSet<String> {
    let e = sc.expect.as_ref().expect("races.md scenarios state their expectation");
    e.for_kernel(v).cloned().unwrap_or_else(|| panic!("{} states its expectation for {v}", sc.name))
}

/// (races.md row, built-in, preemption bound that reaches every expected class)
const ROWS: &[(&str, &str, u32)] = &[
    ("1 deadlock with DAX 4k holes (fixed before 4.11: no hang)", "hole-read-then-write", 1),
    ("4 wrprotect pmd in mkclean (fixed before 4.11: no loss)", "fault-vs-fsync", 2),
    ("5 radix tree insertion race (the seed)", "seed-race", 2),
    ("6 fault races with write", "fault-vs-write", 2),
    ("7 invalidation of mapped DAX entries", "drop-caches-mapped-entry", 2),
    ("7 ... and truncate's WARN", "truncate-vs-drop-caches", 2),
    ("8 stale mmap reads", "stale-hzp-read", 2),
    ("9 colliding PMD & PTE entries", "pte-vs-pmd", 2),
    ("11 misaligned PMD faults", "misaligned-pmd", 2),
    ("15 PMD fault never waits on a 4k entry", "pmd-vs-pte-collision", 2),
    ("extra: fsync returns before another fsync's flush", "fsync-vs-fsync", 2),
    ("extra: PTE under a PMD entry not write-protected", "fsync-pte-in-pmd-entry", 2),
];

#[test]
fn every_reproduced_race_ends_as_races_md_says() {
    for &(row, name, bound) in ROWS {
        let sc = load(name);
        for v in BOTH {
            let got = classes(&explore_all(&sc, v, bound));
            assert_eq!(got, expected(&sc, v), "races.md row {row}: {name} ({v})");
        }
    }
}

#[test]
fn the_seed_race_is_the_only_difference_between_the_variants() {
    for &(_, name, _) in ROWS {
        let sc = load(name);
        let e = sc.expect.as_ref().unwrap();
        assert_eq!(e.for_kernel(Kernel::UNFIXED) != e.for_kernel(Kernel::FIXED), name == "seed-race", "{name}");
    }
}

#[test]
fn a_pmd_fault_meeting_a_4k_entry_falls_back_without_sleeping() {
    // Item 15's lesson, which 4.11 already has: -EEXIST at once, no wait on a key the 4k
    // entry's owner will never wake.
    let sc = load("pmd-vs-pte-collision");
    for v in BOTH {
        let (ex, _) = find(&sc, v, 2, |ex| has_note(ex, Note::Fallback { reason: FallbackReason::GrabEexist }))
            .expect("the collision happens");
        let fb = pos(&ex, 0, |k| matches!(k, E::Fallback { reason: FallbackReason::GrabEexist, .. })).unwrap();
        let t = ex.events[fb].tid;
        let begin = ex.events[..fb].iter().rposition(|e| e.tid == t && matches!(e.kind, E::FaultBegin { .. })).unwrap();
        assert!(!ex.events[begin..fb].iter().any(|e| e.tid == t && matches!(e.kind, E::WaitBegin { .. })));
    }
}
