//! The shuttle port fails on the unfixed kernel and holds on the fixed one.

use shuttle_seed::{Variant, dfs, pct, random};

#[test]
fn pct_finds_the_race_on_the_unfixed_kernel() {
    let out = pct(Variant::Unfixed, 3, 1, 100_000);
    let failure = out.failure.unwrap_or_else(|| panic!("no failure in {} PCT runs", out.executions));
    assert!(failure.contains("installed through a huge PMD"), "{failure}");
}

#[test]
fn random_scheduling_finds_the_race_on_the_unfixed_kernel() {
    let out = random(Variant::Unfixed, 1, 100_000);
    assert!(out.failure.is_some(), "no failure in {} random runs", out.executions);
}

#[test]
fn fixed_survives_pct_and_the_first_dfs_executions() {
    for depth in [2, 3] {
        let out = pct(Variant::Fixed, depth, 7, 2_000);
        assert_eq!(out.failure, None);
        assert_eq!(out.executions, 2_000);
    }
    let out = dfs(Variant::Fixed, Some(5_000));
    assert_eq!(out.failure, None);
    assert_eq!(out.executions, 5_000);
}
