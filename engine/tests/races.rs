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

/// The rows of the tables in docs/races.md: (row label, scenario column, last column).
fn races_md_rows() -> Vec<(String, String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/races.md");
    let text = std::fs::read_to_string(&path).expect("docs/races.md");
    text.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---") && !l.starts_with("| #") && !l.starts_with("| race"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            let label = format!("{} {}", cells[0], cells.get(1).copied().unwrap_or(""));
            (label, cells[cells.len() - 2].to_string(), cells[cells.len() - 1].to_string())
        })
        .collect()
}

/// The `backticked` words of a cell.
fn ticked(cell: &str) -> Vec<String> {
    cell.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// "`a`, `b`" or "none" → the set; "same" → `same_as`.
fn classes_of(part: &str, same_as: Option<&BTreeSet<String>>) -> BTreeSet<String> {
    // A remark may follow in parentheses, after a space.
    let head = part.split(" (").next().unwrap_or("").trim();
    match (head, same_as) {
        ("same", Some(s)) => s.clone(),
        ("none", _) => BTreeSet::new(),
        _ => ticked(head).into_iter().collect(),
    }
}

#[test]
fn races_md_says_what_each_scenario_expects() {
    let rows = races_md_rows();
    let mut checked = BTreeSet::new();
    for (label, scenarios, outcomes) in &rows {
        let names: Vec<String> = ticked(scenarios).into_iter().filter(|n| builtin_exists(n)).collect();
        let parts: Vec<&str> = outcomes.split(';').map(str::trim).collect();
        for (name, part) in names.iter().zip(&parts) {
            let sc = load(name);
            if let Some(class) = part.strip_prefix("no `").and_then(|r| r.split('`').next()) {
                // "no `hang` in either variant": the class is in neither expectation.
                for v in BOTH {
                    assert!(!expected(&sc, v).iter().any(|c| c.starts_with(class)), "{label}: {name} ({v})");
                }
            } else {
                let (u, f) =
                    part.split_once(" / ").unwrap_or_else(|| panic!("{label}: `{part}` is not `unfixed / fixed`"));
                let unfixed = classes_of(u, None);
                assert_eq!(unfixed, expected(&sc, Kernel::UNFIXED), "races.md {label}: {name} unfixed");
                assert_eq!(
                    classes_of(f, Some(&unfixed)),
                    expected(&sc, Kernel::FIXED),
                    "races.md {label}: {name} fixed"
                );
            }
            checked.insert(name.clone());
        }
    }
    for &(row, name, _) in ROWS {
        assert!(checked.contains(name), "races.md has no row for {name} (races.rs row {row})");
        let number = row.split(' ').next().unwrap_or("");
        if number != "extra:" {
            let mine = rows.iter().any(|(label, s, _)| label.starts_with(&format!("{number} ")) && s.contains(name));
            assert!(mine, "races.md row {number} names {name}");
        }
    }
}

fn builtin_exists(name: &str) -> bool {
    daxlab::scenario::BUILTINS.iter().any(|(n, _)| *n == name)
}
