//! The built-in catalogue: scenario files compiled into the binary.

use super::{Scenario, ScenarioError};

/// (name, TOML source).
pub const BUILTINS: &[(&str, &str)] = &[
    ("seed-race", include_str!("../../scenarios/seed-race.toml")),
    ("pte-vs-pmd", include_str!("../../scenarios/pte-vs-pmd.toml")),
    ("pmd-vs-pte-collision", include_str!("../../scenarios/pmd-vs-pte-collision.toml")),
    ("holetest-mini", include_str!("../../scenarios/holetest-mini.toml")),
    ("holetest-mini-1m", include_str!("../../scenarios/holetest-mini-1m.toml")),
    ("holetest-mini-prefilled", include_str!("../../scenarios/holetest-mini-prefilled.toml")),
    ("holetest-mini-unaligned", include_str!("../../scenarios/holetest-mini-unaligned.toml")),
    ("holetest-mini-fork", include_str!("../../scenarios/holetest-mini-fork.toml")),
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
