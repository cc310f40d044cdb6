//! The loom port fails on the unfixed kernel and holds on the fixed one.

use loom_seed::{Variant, explore};

#[test]
fn unfixed_installs_a_pte_through_the_huge_pmd() {
    let out = explore(Variant::Unfixed, Some(2));
    let failure = out.failure.expect("loom finds the race within two preemptions");
    assert!(failure.contains("installed through a huge PMD"), "{failure}");
}

/// daxlab's minimal witness has two preemptions; so does loom's (T1 starts, as it does in
/// daxlab's witness).
#[test]
fn unfixed_holds_within_one_preemption() {
    let out = explore(Variant::Unfixed, Some(1));
    assert_eq!(out.failure, None);
}

#[test]
fn fixed_holds_within_three_preemptions() {
    let out = explore(Variant::Fixed, Some(3));
    assert_eq!(out.failure, None);
    assert!(out.executions > 1, "loom explored {} executions", out.executions);
}
