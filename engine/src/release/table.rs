//! The tables: which releases the model offers and which fixes it models.
//!
//! To add a release, add a line to `releases!` in its place in time (the order of the
//! lines is the order of the releases). To add a fix: add a block to `fixes!` naming the
//! first release that contains it, then branch on `cx.k.has(Fix::YourFix)` where the commit
//! changes the code, with its id and title in a comment beside the branch; then say in each
//! built-in scenario's `[expect]` what the kernels before and after it show. A kernel of a
//! release has every fix whose release is that one or older.

use super::{fixes, releases};

/// One modelled fix: the upstream commit, and where it changes the code.
#[derive(Debug, PartialEq, Eq)]
pub struct FixInfo {
    /// The upstream commit's short id (12 hex digits).
    pub id: &'static str,
    /// A short name the command line accepts as well as the id.
    pub name: &'static str,
    /// The commit's subject line.
    pub title: &'static str,
    /// The first release that contains it.
    pub release: Release,
    /// The functions it changes, as `file: function`.
    pub functions: &'static [&'static str],
}

releases! {
    /// The first release with DAX PMD faults through iomap.
    V4_10 = "v4.10", RadixTree;
    /// The seed race's kernel: `unfixed`.
    V4_11Rc5 = "v4.11-rc5", RadixTree;
    /// `fixed`: v4.11-rc5 plus the seed fix.
    V4_11 = "v4.11", RadixTree;
    V4_12 = "v4.12", RadixTree;
    V4_13 = "v4.13", RadixTree;
}

fixes! {
    /// grab_mapping_entry() looks the index up again after radix_tree_preload() and
    /// restarts if another thread inserted an entry while tree_lock was dropped.
    RadixTreeInsertionRace {
        id: "e11f8b7b6c4e",
        name: "insertion-race",
        title: "dax: fix radix tree insertion race",
        release: V4_11,
        functions: ["fs/dax.c: grab_mapping_entry"],
    }
}
