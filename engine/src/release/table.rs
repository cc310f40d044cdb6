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
    /// fs/dax.c converted to the XArray (b15cd800682f, with 0e40de0338d0 and the
    /// v4.20-rc memory-failure fixes).
    V4_20 = "v4.20", XArray;
    /// wait_entry_unlocked() sleeps non-exclusively.
    V5_0 = "v5.0", XArray;
    /// Nothing modelled changed since v5.0; here so that files naming it run.
    V5_2 = "v5.2", XArray;
    /// The RocksDB fix as first merged, with put_unlocked_entry() inverted.
    V5_3Rc1 = "v5.3-rc1", XArray;
    V5_3 = "v5.3", XArray;
    V5_4 = "v5.4", XArray;
    /// Nothing modelled changed since v5.4 (the v5.12.y stable series backported the v5.13
    /// wake-mode fixes; the model means v5.12 as released).
    V5_12 = "v5.12", XArray;
    /// The wake modes; mapping->nrexceptional gives way to nrpages.
    V5_13 = "v5.13", XArray;
    V5_14 = "v5.14", XArray;
    /// mkclean covers the whole entry; read faults and holes dirty their entries
    /// ("fsdax: Replace mmap entry in case of CoW"; undone in v6.2).
    V5_19 = "v5.19", XArray;
    /// The lab's kernel (Debian's 6.1.192 has the same fs/dax.c locking code).
    V6_1 = "v6.1", XArray;
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
    /// get_unlocked_entry() looks for a conflict anywhere in a PMD's range with
    /// xas_find_conflict() instead of xas_load(), which saw only its first 64 indices.
    HugePageFaults {
        id: "0e40de0338d0",
        name: "huge-page-faults",
        title: "dax: Fix huge page faults",
        release: V4_20,
        functions: ["fs/dax.c: get_unlocked_entry", "fs/dax.c: grab_mapping_entry"],
    }
    /// A PMD fault that meets a smaller entry falls back at once instead of sleeping on a
    /// key the PTE entry's unlock never wakes (the RocksDB hang). As first merged,
    /// put_unlocked_entry() woke only for the new conflict value and the order test came
    /// before the NULL test.
    MissedWakeupPmd {
        id: "23c84eb78375",
        name: "missed-wakeup-pmd",
        title: "dax: Fix missed wakeup with PMD faults",
        release: V5_3Rc1,
        functions: [
            "fs/dax.c: get_unlocked_entry",
            "fs/dax.c: put_unlocked_entry",
            "fs/dax.c: grab_mapping_entry",
        ],
    }
    /// put_unlocked_entry() wakes for every real entry again (it woke only for conflicts).
    PutUnlockedWakeup {
        id: "61c30c98ef17",
        name: "put-unlocked-wakeup",
        title: "dax: Fix missed wakeup in put_unlocked_entry()",
        release: V5_3,
        functions: ["fs/dax.c: put_unlocked_entry"],
    }
    /// get_unlocked_entry() tests for NULL before comparing orders, so an empty range is
    /// no longer a conflict for a PMD fault.
    PmdPteConflict {
        id: "6370740e5f8e",
        name: "pmd-pte-conflict",
        title: "fs/dax: Fix pmd vs pte conflict detection",
        release: V5_4,
        functions: ["fs/dax.c: get_unlocked_entry"],
    }
    /// put_unlocked_entry() takes the wake mode from its caller.
    PutUnlockedWakeMode {
        id: "4c3d043d271d",
        name: "put-unlocked-wake-mode",
        title: "dax: Add a wakeup mode parameter to put_unlocked_entry()",
        release: V5_13,
        functions: ["fs/dax.c: put_unlocked_entry"],
    }
    /// __dax_invalidate_entry() wakes every waiter: after a deletion nobody would pass the
    /// baton on.
    InvalidateWakeAll {
        id: "237388320def",
        name: "invalidate-wake-all",
        title: "dax: Wake up all waiters after invalidating dax entry",
        release: V5_13,
        functions: ["fs/dax.c: __dax_invalidate_entry"],
    }
    /// DAX entries are counted in `mapping->nrpages` (512 for a PMD entry) instead of one
    /// each in `nrexceptional`, and an empty mapping is one with no entries at all
    /// (mapping_empty(), from the same series).
    DaxNrpages {
        id: "7f0e07fb0289",
        name: "dax-nrpages",
        title: "dax: account DAX entries as nrpages",
        release: V5_13,
        functions: ["fs/dax.c: grab_mapping_entry", "fs/dax.c: __dax_invalidate_entry", "fs/dax.c: dax_writeback_mapping_range"],
    }
    /// grab_mapping_entry() clears pmd_downgrade at `retry:`, so an xas_nomem() retry after
    /// a downgrade does not downgrade (and count) again.
    GrabEnomem {
        id: "1a14e3779dd5",
        name: "grab-enomem",
        title: "dax: fix ENOMEM handling in grab_mapping_entry()",
        release: V5_14,
        functions: ["fs/dax.c: grab_mapping_entry"],
    }
    /// The fault handlers become iomap_iter() loops (v5.16; the model's first release with
    /// it is v5.19). What the model sees: the PMD fault tests the end of file before its
    /// other fallback checks, and the PTE fault's done tracepoint includes VM_FAULT_MAJOR.
    FaultIomapIter {
        id: "65dd814a6187",
        name: "fault-iomap-iter",
        title: "fsdax: switch the fault handlers to use iomap_iter",
        release: V5_19,
        functions: ["fs/dax.c: dax_iomap_pte_fault", "fs/dax.c: dax_iomap_pmd_fault"],
    }
    /// Writeback write-protects every PTE and PMD that maps any page of the entry, in every
    /// vma that maps any of its indices (it looked only at the entry's first index).
    MkcleanPte {
        id: "06083a0921fd",
        name: "mkclean-pte",
        title: "dax: fix missing writeprotect the pte entry",
        release: V5_19,
        functions: ["fs/dax.c: dax_writeback_one", "mm/rmap.c: pfn_mkclean_range"],
    }
}
