//! The built-in catalogue: scenario files compiled into the binary.

use super::{Scenario, ScenarioError};

/// (name, TOML source).
pub const BUILTINS: &[(&str, &str)] = &[
    ("seed-race", include_str!("../../scenarios/seed-race.toml")),
    ("first-steps", include_str!("../../scenarios/first-steps.toml")),
    ("pte-vs-pmd", include_str!("../../scenarios/pte-vs-pmd.toml")),
    ("pmd-vs-pte-collision", include_str!("../../scenarios/pmd-vs-pte-collision.toml")),
    ("holetest-mini", include_str!("../../scenarios/holetest-mini.toml")),
    ("holetest-mini-1m", include_str!("../../scenarios/holetest-mini-1m.toml")),
    ("holetest-mini-prefilled", include_str!("../../scenarios/holetest-mini-prefilled.toml")),
    ("holetest-mini-unaligned", include_str!("../../scenarios/holetest-mini-unaligned.toml")),
    ("holetest-mini-fork", include_str!("../../scenarios/holetest-mini-fork.toml")),
    ("holetest-3", include_str!("../../scenarios/holetest-3.toml")),
    ("pmd-downgrade", include_str!("../../scenarios/pmd-downgrade.toml")),
    ("preload-enomem", include_str!("../../scenarios/preload-enomem.toml")),
    ("hole-read-then-write", include_str!("../../scenarios/hole-read-then-write.toml")),
    ("hole-page-over-pmd", include_str!("../../scenarios/hole-page-over-pmd.toml")),
    ("fault-vs-truncate", include_str!("../../scenarios/fault-vs-truncate.toml")),
    ("fault-vs-fsync", include_str!("../../scenarios/fault-vs-fsync.toml")),
    ("fault-vs-write", include_str!("../../scenarios/fault-vs-write.toml")),
    ("stale-hzp-read", include_str!("../../scenarios/stale-hzp-read.toml")),
    ("drop-caches-mapped-entry", include_str!("../../scenarios/drop-caches-mapped-entry.toml")),
    ("fsync-vs-fsync", include_str!("../../scenarios/fsync-vs-fsync.toml")),
    ("fsync-pte-in-pmd-entry", include_str!("../../scenarios/fsync-pte-in-pmd-entry.toml")),
    ("truncate-vs-drop-caches", include_str!("../../scenarios/truncate-vs-drop-caches.toml")),
    ("misaligned-pmd", include_str!("../../scenarios/misaligned-pmd.toml")),
    ("pmd-waits-on-pte", include_str!("../../scenarios/pmd-waits-on-pte.toml")),
    ("put-unlocked-lost-wakeup", include_str!("../../scenarios/put-unlocked-lost-wakeup.toml")),
    ("pmd-never-established", include_str!("../../scenarios/pmd-never-established.toml")),
];

pub fn builtin_names() -> Vec<&'static str> {
    BUILTINS.iter().map(|(n, _)| *n).collect()
}

pub fn builtin(name: &str) -> Option<Result<Scenario, ScenarioError>> {
    BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, src)| Scenario::from_toml(src, &format!("built-in scenario {n}")))
}
