//! DAX exceptional entry encoding (include/linux/dax.h, v4.10/v4.11).
//!
//! bit 1 marks an exceptional radix-tree entry; above RADIX_TREE_EXCEPTIONAL_SHIFT (2) sit
//! the entry lock, the PMD (2 MiB) flag, the huge-zero-page flag and the empty flag, and
//! from bit 6 the sector. Every freshly built entry is born locked.

pub const RADIX_TREE_EXCEPTIONAL_ENTRY: u64 = 0x2;
pub const RADIX_DAX_ENTRY_LOCK: u64 = 0x4;
pub const RADIX_DAX_PMD: u64 = 0x8;
pub const RADIX_DAX_HZP: u64 = 0x10;
pub const RADIX_DAX_EMPTY: u64 = 0x20;
pub const RADIX_DAX_SHIFT: u32 = 6;
/// PMD_SHIFT - PAGE_SHIFT.
pub const PMD_ORDER: u32 = 9;

pub fn dax_radix_sector(entry: u64) -> u64 {
    entry >> RADIX_DAX_SHIFT
}

pub fn dax_radix_locked_entry(sector: u64, flags: u64) -> u64 {
    RADIX_TREE_EXCEPTIONAL_ENTRY | flags | (sector << RADIX_DAX_SHIFT) | RADIX_DAX_ENTRY_LOCK
}

pub fn dax_radix_order(entry: u64) -> u32 {
    if entry & RADIX_DAX_PMD != 0 { PMD_ORDER } else { 0 }
}

pub fn dax_is_pmd_entry(entry: u64) -> bool {
    entry & RADIX_DAX_PMD != 0
}

pub fn dax_is_pte_entry(entry: u64) -> bool {
    entry & RADIX_DAX_PMD == 0
}

pub fn dax_is_zero_entry(entry: u64) -> bool {
    entry & RADIX_DAX_HZP != 0
}

pub fn dax_is_empty_entry(entry: u64) -> bool {
    entry & RADIX_DAX_EMPTY != 0
}

pub fn dax_is_locked(entry: u64) -> bool {
    entry & RADIX_DAX_ENTRY_LOCK != 0
}

/// A kernel engineer's reading of an entry value, e.g. 0x2e → "locked empty PMD".
pub fn decode_entry(entry: u64) -> String {
    if entry & RADIX_TREE_EXCEPTIONAL_ENTRY == 0 {
        return "not an exceptional entry".into();
    }
    let size = if dax_is_pmd_entry(entry) { "PMD" } else { "4k" };
    let lock = if dax_is_locked(entry) { "locked " } else { "" };
    if dax_is_empty_entry(entry) {
        format!("{lock}empty {size}")
    } else if dax_is_zero_entry(entry) {
        format!("{lock}huge zero page {size}")
    } else {
        format!("{lock}{size} sector {:#x}", dax_radix_sector(entry))
    }
}
