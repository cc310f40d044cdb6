//! fs/dax.c of the XArray era (v4.20 on) and the 2019 wake-up chain: each race appears
//! with the code that brought it and goes with its fix, one fix switched at a time.

mod common;

use common::*;
use daxlab::check::{Note, Outcome};
use daxlab::dax::FallbackReason;
use daxlab::kernel::WaitOn;
use daxlab::release::Era;
use daxlab::trace::EventKind as E;
use daxlab::{Fix, Kernel, Release};

fn kernel(name: &str) -> Kernel {
    Kernel::parse(name).expect("a modelled kernel")
}

fn hangs(ex: &daxlab::scenario::Execution) -> bool {
    matches!(ex.outcome, Outcome::Hang { .. })
}

#[test]
fn releases_from_v4_20_run_the_xarray_model_and_its_fixes_land_there() {
    assert_eq!(Release::V4_13.era(), Era::RadixTree);
    assert_eq!(Release::V4_20.era(), Era::XArray);
    for fix in [Fix::MissedWakeupPmd, Fix::PutUnlockedWakeup, Fix::PmdPteConflict, Fix::InvalidateWakeAll] {
        assert_eq!(fix.info().release.era(), Era::XArray, "{fix}");
    }
    assert_eq!(Fix::parse("23c84eb78375"), Ok(Fix::MissedWakeupPmd));
    assert_eq!(Fix::MissedWakeupPmd.info().release, Release::V5_3Rc1);
    assert_eq!(Fix::PutUnlockedWakeup.info().release, Release::V5_3);
    assert_eq!(Fix::PmdPteConflict.info().release, Release::V5_4);
}

#[test]
fn the_rocksdb_hang_a_pmd_fault_sleeps_on_its_first_index_and_the_pte_unlock_wakes_another_key() {
    let sc = load("pmd-waits-on-pte");
    let (ex, _) = find(&sc, kernel("v5.2"), 1, hangs).expect("v5.2 hangs");
    let Outcome::Hang { waiting } = &ex.outcome else { unreachable!() };
    let [(_, WaitOn::Entry { key, .. })] = waiting.as_slice() else { panic!("one sleeper: {waiting:?}") };
    // The PMD fault's key is the PMD's first index; the locked entry was the 4 KiB one at
    // 0x201, whose unlock wakes key 0x201.
    assert_eq!(key.index, 0x200);
    assert!(!ex.events.iter().any(|e| matches!(&e.kind, E::Wake { key: k, .. } if k.index == 0x200)));
    // 23c84eb78375 alone (v5.2 plus it) removes the hang: the PMD fault falls back at once.
    for k in [kernel("v5.2 with 23c84eb78375"), kernel("v5.4")] {
        assert!(find(&sc, k, 1, hangs).is_none(), "{k}");
        let (ex, _) = find(&sc, k, 1, |ex| has_note(ex, Note::Fallback { reason: FallbackReason::SmallerEntry }))
            .expect("the PMD fault meets the 4 KiB entry");
        assert!(!hangs(&ex));
    }
}

#[test]
fn v5_3_rc1_drops_the_baton_in_put_unlocked_entry_and_61c30c98ef17_passes_it() {
    let sc = load("put-unlocked-lost-wakeup");
    let (ex, _) = find(&sc, kernel("v5.3-rc1"), 1, hangs).expect("v5.3-rc1 hangs");
    // The invalidation took the wake-up, kept the dirty entry, and woke nobody after.
    assert!(ex.events.iter().any(|e| matches!(e.kind, E::InvalidateKeep { .. })));
    assert!(find(&sc, kernel("v5.3-rc1 with 61c30c98ef17"), 1, hangs).is_none());
    assert!(find(&sc, kernel("v5.3 without 61c30c98ef17"), 1, hangs).is_some());
    // Before 23c84eb78375 put_unlocked_entry() woke for every entry it was given.
    assert!(find(&sc, kernel("v5.2"), 1, hangs).is_none());
}

#[test]
fn v5_3_reads_an_empty_range_as_a_conflict_so_no_pmd_is_ever_established() {
    let sc = load("pmd-never-established");
    let huge = |ex: &daxlab::scenario::Execution| {
        ex.events.iter().any(|e| matches!(e.kind, E::PmdInstall { new: daxlab::mm::PmdKind::HugeDevmap, .. }))
    };
    for (k, never) in [
        ("v5.2", false),
        ("v5.3-rc1", true),
        ("v5.3", true),
        ("v5.4", false),
        ("v5.4 without 6370740e5f8e", true),
        ("v6.1", false),
    ] {
        let (ex, _) = run(&sc, kernel(k));
        assert_eq!(ex.outcome, Outcome::Ok, "{k}");
        assert_eq!(has_note(&ex, Note::PmdNeverEstablished), never, "{k}");
        assert_eq!(huge(&ex), !never, "{k}: a PMD maps the 2 MiB write");
    }
}
