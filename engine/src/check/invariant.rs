use crate::dax::FallbackReason;
use crate::mm::PmdKind;
use crate::radix::Item;
use crate::trace::RestartReason;
use crate::xarray::Entry;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A kernel-visible failure, detected at the moment it happens.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invariant {
    /// A 4 KiB PTE was written through a PMD slot holding a huge mapping (the seed's "die
    /// horribly": pte_offset_map_lock treats the huge PMD's pmem as a PTE page).
    PteUnderHugePmd { addr: u64, pmd: PmdKind },
    /// pte_offset_map_lock() through an empty PMD slot (a NULL PTE page).
    PteWalkOnNonePmd { addr: u64 },
    /// vmf_insert_pfn_pmd() overwrote a PTE table (orphaning it: "non-zero nr_ptes").
    HugePmdOverPteTable { addr: u64 },
    /// dax_unlock_mapping_entry(): WARN_ON_ONCE, no entry or not locked.
    UnlockNotLocked { index: u64, found: Option<Item> },
    /// dax_insert_mapping_entry(): WARN_ON_ONCE(ret != entry) at replace time.
    ReplaceMismatch { index: u64, expected: Item, found: Option<Item> },
    /// page_cache_tree_insert(): WARN unless the slot held the locked empty 4 KiB entry.
    HolePageOverWrongEntry { index: u64, found: Option<Item> },
    /// check_mm() at exit: "BUG: non-zero nr_ptes on freeing mm".
    NrPtesLeak { mm: u8, nr_ptes: i64 },
    /// check_mm() at exit: "BUG: Bad rss-counter state".
    RssCounter { mm: u8, idx: u8, val: i64 },
    /// "BUG: sleeping function called from invalid context" / scheduling while atomic.
    SleepInAtomic { preempt_count: u32 },
    /// A spin lock released by a thread that does not hold it.
    LockMisuse { what: String },
    /// Another WARN_ON_ONCE in fs/dax.c (write fault on a hole, short extent, ...).
    Warn { what: String },
    /// dax_delete_mapping_entry(): WARN_ON_ONCE, truncate saw an entry that is gone.
    DeleteMissingEntry { index: u64 },
    /// dax_unlock_entry() (XArray era): BUG_ON, the slot it unlocked did not hold a
    /// locked entry.
    EntryNotLocked { index: u64, found: Option<Entry> },
    /// An order-9 store discarded the 4 KiB entries below it (xas_store() frees the nodes
    /// under a multi-index entry): grab_mapping_entry() believed the PMD range empty.
    PmdOverPteEntries { index: u64, lost: Vec<u64> },
    /// A page still pinned by get_user_pages() (DMA in flight) had its entry removed by
    /// truncate or hole punch, so the filesystem frees blocks a device still writes to.
    /// dax_disassociate_entry()'s WARN_ON_ONCE(trunc && page_ref_count(page) > 1) (v4.19 to
    /// v6.14) is the kernel's own detector.
    DmaPageTruncated { index: u64, pfn: u64, refcount: u32 },
}

impl Invariant {
    pub fn name(&self) -> &'static str {
        match self {
            Invariant::PteUnderHugePmd { .. } => "pte-under-huge-pmd",
            Invariant::PteWalkOnNonePmd { .. } => "pte-walk-on-none-pmd",
            Invariant::HugePmdOverPteTable { .. } => "huge-pmd-over-pte-table",
            Invariant::UnlockNotLocked { .. } => "unlock-not-locked",
            Invariant::ReplaceMismatch { .. } => "replace-mismatch",
            Invariant::HolePageOverWrongEntry { .. } => "hole-page-over-wrong-entry",
            Invariant::NrPtesLeak { .. } => "nr-ptes-leak",
            Invariant::RssCounter { .. } => "rss-counter",
            Invariant::SleepInAtomic { .. } => "sleep-in-atomic",
            Invariant::LockMisuse { .. } => "lock-misuse",
            Invariant::Warn { .. } => "warn",
            Invariant::DeleteMissingEntry { .. } => "delete-missing-entry",
            Invariant::EntryNotLocked { .. } => "unlock-not-locked",
            Invariant::PmdOverPteEntries { .. } => "pmd-over-pte-entries",
            Invariant::DmaPageTruncated { .. } => "dma-page-truncated",
        }
    }
}

fn item(i: &Option<Item>) -> String {
    i.map_or("nothing".into(), |i| i.to_string())
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invariant::PteUnderHugePmd { addr, pmd } => write!(
                f,
                "4 KiB PTE for {addr:#x} installed through a {pmd}: pte_offset_map_lock() walked into the huge mapping's memory"
            ),
            Invariant::PteWalkOnNonePmd { addr } => {
                write!(f, "pte_offset_map_lock() for {addr:#x} through an empty PMD slot")
            }
            Invariant::HugePmdOverPteTable { addr } => write!(
                f,
                "huge PMD installed over the PTE table at {addr:#x}; the table is orphaned (BUG: non-zero nr_ptes on freeing mm)"
            ),
            Invariant::UnlockNotLocked { index, found } => write!(
                f,
                "WARNING in dax_unlock_mapping_entry: index {index:#x} holds {} which is not a locked entry",
                item(found)
            ),
            Invariant::ReplaceMismatch { index, expected, found } => write!(
                f,
                "WARNING in dax_insert_mapping_entry: index {index:#x} holds {} but the fault locked {expected}",
                item(found)
            ),
            Invariant::HolePageOverWrongEntry { index, found } => write!(
                f,
                "WARNING in page_cache_tree_insert: index {index:#x} holds {}, not the locked empty entry 0x26",
                item(found)
            ),
            Invariant::NrPtesLeak { mm, nr_ptes } => {
                write!(f, "BUG: non-zero nr_ptes on freeing mm {mm}: {nr_ptes}")
            }
            Invariant::RssCounter { mm, idx, val } => {
                write!(f, "BUG: Bad rss-counter state mm {mm} idx:{idx} val:{val}")
            }
            Invariant::SleepInAtomic { preempt_count } => {
                write!(f, "BUG: scheduling while atomic (preempt_count {preempt_count})")
            }
            Invariant::LockMisuse { what } => write!(f, "lock misuse: {what}"),
            Invariant::Warn { what } => write!(f, "WARNING: {what}"),
            Invariant::DeleteMissingEntry { index } => {
                write!(f, "WARNING in dax_delete_mapping_entry: no DAX entry left at index {index:#x}")
            }
            Invariant::EntryNotLocked { index, found } => write!(
                f,
                "BUG in dax_unlock_entry: index {index:#x} held {} when it was unlocked, not a locked entry",
                found.map_or("nothing".into(), |e| e.to_string())
            ),
            Invariant::PmdOverPteEntries { index, lost } => {
                let lost: Vec<String> = lost.iter().map(|i| format!("{i:#x}")).collect();
                write!(
                    f,
                    "the PMD entry stored at index {index:#x} discarded the 4 KiB entries at {} (their nodes were freed)",
                    lost.join(", ")
                )
            }
            Invariant::DmaPageTruncated { index, pfn, refcount } => write!(
                f,
                "WARNING in dax_disassociate_entry: truncate removed index {index:#x} while page pfn {pfn:#x} is pinned for DMA (refcount {refcount})"
            ),
        }
    }
}

/// Benign things worth annotating in an outcome: they are not failures, but two otherwise
/// identical outcomes that differ in them took visibly different paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Note {
    /// dax_iomap_pmd_fault() fell back to 4 KiB.
    Fallback { reason: FallbackReason },
    /// The fallback's split_huge_pmd() cleared a huge PMD (another thread's, in the seed race).
    FallbackSplitClearedPmd,
    /// A 4 KiB fault met a DAX huge PMD: "bad pmd", the slot cleared, the fault retried.
    BadPmdCleared,
    /// grab_mapping_entry() restarted.
    Restart { reason: RestartReason },
    /// grab_mapping_entry() downgraded an empty or huge-zero-page PMD entry to 4 KiB.
    PmdDowngrade,
    /// dax_insert_mapping_entry() replaced a 4 KiB hole page with a DAX entry.
    HoleFill,
    /// A fault, or a syscall, got -ENOMEM from radix_tree_preload() and unwound.
    Enomem,
    /// A PMD fault found its range empty and still fell back: with v5.3's conflict test
    /// before the NULL test, no PMD entry can ever be created.
    PmdNeverEstablished,
}

impl Note {
    /// The notes that mark a regression though nothing failed (the kernel visibly did what
    /// it should not, without a wrong result): the matrix shows outcomes carrying one beside
    /// the failures, as `ok [note]`.
    pub const REGRESSIONS: &[Note] = &[Note::PmdNeverEstablished];
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Fallback { reason } => write!(f, "fallback({})", reason.name()),
            Note::FallbackSplitClearedPmd => f.write_str("split-cleared-pmd"),
            Note::BadPmdCleared => f.write_str("bad-pmd"),
            Note::Restart { reason } => write!(
                f,
                "restart({})",
                match reason {
                    RestartReason::RelookupFound => "relookup",
                    RestartReason::PteInsertEexist => "pte-eexist",
                    RestartReason::PageTruncated => "page-truncated",
                }
            ),
            Note::PmdDowngrade => f.write_str("pmd-downgrade"),
            Note::HoleFill => f.write_str("hole-fill"),
            Note::Enomem => f.write_str("enomem"),
            Note::PmdNeverEstablished => f.write_str("pmd-never-established"),
        }
    }
}
