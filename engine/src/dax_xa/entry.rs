//! DAX entries of the XArray era (fs/dax.c, v4.20 on): XArray value entries whose value is
//! four flag bits under a pfn, `flags | pfn << DAX_SHIFT`.
//!
//! The helpers take an entry as the kernel's `void *` would be: `None` is NULL, whose value
//! reads as 0 — so NULL is an unlocked order-0 ("PTE") entry to them, which is exactly the
//! v5.3 conflict bug's premise (`dax_entry_order(NULL) < PMD_ORDER`).

use crate::xarray::{Entry, xa_mk_value, xa_to_value};

pub const DAX_SHIFT: u32 = 4;
pub const DAX_LOCKED: u64 = 1 << 0;
pub const DAX_PMD: u64 = 1 << 1;
pub const DAX_ZERO_PAGE: u64 = 1 << 2;
pub const DAX_EMPTY: u64 = 1 << 3;
/// PMD_SHIFT - PAGE_SHIFT.
pub const PMD_ORDER: u32 = 9;
/// The "colour" of a page offset within its PMD.
pub const PG_PMD_COLOUR: u64 = (1 << PMD_ORDER) - 1;
pub const PG_PMD_NR: u64 = 1 << PMD_ORDER;

/// `xa_to_value(entry)` as fs/dax.c applies it to any entry, NULL included.
fn value(entry: Option<Entry>) -> u64 {
    xa_to_value(entry).unwrap_or(0)
}

pub fn dax_to_pfn(entry: Option<Entry>) -> u64 {
    value(entry) >> DAX_SHIFT
}

pub fn dax_make_entry(pfn: u64, flags: u64) -> Entry {
    xa_mk_value(flags | (pfn << DAX_SHIFT))
}

pub fn dax_is_locked(entry: Option<Entry>) -> bool {
    value(entry) & DAX_LOCKED != 0
}

pub fn dax_entry_order(entry: Option<Entry>) -> u32 {
    if value(entry) & DAX_PMD != 0 { PMD_ORDER } else { 0 }
}

pub fn dax_is_pmd_entry(entry: Option<Entry>) -> bool {
    value(entry) & DAX_PMD != 0
}

pub fn dax_is_pte_entry(entry: Option<Entry>) -> bool {
    !dax_is_pmd_entry(entry)
}

pub fn dax_is_zero_entry(entry: Option<Entry>) -> bool {
    value(entry) & DAX_ZERO_PAGE != 0
}

pub fn dax_is_empty_entry(entry: Option<Entry>) -> bool {
    value(entry) & DAX_EMPTY != 0
}

/// `dax_is_conflict()` (v5.3 on): get_unlocked_entry() returns XA_RETRY_ENTRY when the entry
/// it found is smaller than the one asked for.
pub fn dax_is_conflict(entry: Option<Entry>) -> bool {
    entry == Some(Entry::Retry)
}

/// The entry with its lock bit set, as dax_lock_entry() stores it.
pub fn dax_locked(entry: Option<Entry>) -> Entry {
    xa_mk_value(value(entry) | DAX_LOCKED)
}

/// `dax_entry_size()`: zero and empty entries map no storage.
pub fn dax_entry_size(entry: Option<Entry>) -> u64 {
    if dax_is_zero_entry(entry) || dax_is_empty_entry(entry) {
        0
    } else if dax_is_pmd_entry(entry) {
        crate::mm::PMD_SIZE
    } else {
        crate::mm::PAGE_SIZE
    }
}

/// `for_each_mapped_pfn()`: the pfns an entry maps. For NULL this is one page at pfn 0, as
/// in the kernel (the 1a14e3779dd5 bug walks it).
pub fn mapped_pfns(entry: Option<Entry>) -> std::ops::Range<u64> {
    let pfn = dax_to_pfn(entry);
    pfn..pfn + dax_entry_size(entry) / crate::mm::PAGE_SIZE
}

/// A kernel engineer's reading of a DAX value, e.g. value 0xb → "locked empty PMD".
pub fn decode_value(v: u64) -> String {
    let e = Some(Entry::Value(v));
    let size = if dax_is_pmd_entry(e) { "PMD" } else { "4k" };
    let lock = if dax_is_locked(e) { "locked " } else { "" };
    if dax_is_empty_entry(e) {
        format!("{lock}empty {size}")
    } else if dax_is_zero_entry(e) {
        format!("{lock}zero page {size} (pfn {:#x})", dax_to_pfn(e))
    } else {
        format!("{lock}{size} pfn {:#x}", dax_to_pfn(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_reads_as_an_unlocked_pte_entry_of_pfn_zero() {
        assert!(!dax_is_locked(None) && dax_is_pte_entry(None) && dax_entry_order(None) == 0);
        assert_eq!(mapped_pfns(None), 0..1);
    }

    #[test]
    fn the_real_capture_s_pmd_zero_entry_decodes() {
        // `radix_entry 0xbc00d` in a 6.1 dax_pmd_load_hole line: value 0x5e006.
        let e = dax_make_entry(0x5e00, DAX_PMD | DAX_ZERO_PAGE);
        assert_eq!(e.raw(), Some(0xbc00d));
        assert_eq!(decode_value(0x5e006), "zero page PMD (pfn 0x5e00)");
        assert_eq!(mapped_pfns(Some(e)), 0x5e00..0x5e00);
        assert_eq!(dax_locked(Some(e)), Entry::Value(0x5e007));
    }
}
