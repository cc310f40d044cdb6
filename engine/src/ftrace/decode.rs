//! What the printed values mean: fault flags, VM_FAULT result bits, and DAX entry values,
//! whose encoding depends on the kernel's era (radix-tree exceptional entries up to v4.19,
//! XArray value entries from v4.20).

use serde::{Deserialize, Serialize};

/// FAULT_FLAG_* names the fs_dax tracepoints print (v4.11's set and the later additions).
pub const FAULT_FLAGS: &[&str] = &[
    "WRITE",
    "MKWRITE",
    "ALLOW_RETRY",
    "RETRY_NOWAIT",
    "KILLABLE",
    "TRIED",
    "USER",
    "REMOTE",
    "INSTRUCTION",
    "INTERRUPTIBLE",
    "UNSHARE",
    "ORIG_PTE_VALID",
    "VMA_LOCK",
];

/// VM_FAULT_* names (v4.11's set, NEEDDSYNC from the MAP_SYNC era, and later ones).
pub const RESULT_FLAGS: &[&str] = &[
    "OOM",
    "SIGBUS",
    "MAJOR",
    "WRITE",
    "HWPOISON",
    "HWPOISON_LARGE",
    "SIGSEGV",
    "NOPAGE",
    "LOCKED",
    "RETRY",
    "FALLBACK",
    "DONE_COW",
    "NEEDDSYNC",
    "COMPLETED",
];

/// A `|`-joined flag set as printed: the names this importer knows, and anything else
/// (an unnamed bit such as `0x800`, or a name from a newer kernel) kept as text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub known: Vec<String>,
    pub unknown: Vec<String>,
}

impl Flags {
    pub fn parse(text: &str, vocabulary: &[&str]) -> Flags {
        let mut f = Flags::default();
        for part in text.split('|').map(str::trim).filter(|p| !p.is_empty()) {
            if vocabulary.contains(&part) {
                f.known.push(part.to_string());
            } else {
                f.unknown.push(part.to_string());
            }
        }
        f
    }

    pub fn has(&self, name: &str) -> bool {
        self.known.iter().any(|k| k == name)
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty() && self.unknown.is_empty()
    }

    /// As the kernel printed it.
    pub fn text(&self) -> String {
        self.known.iter().chain(&self.unknown).cloned().collect::<Vec<_>>().join("|")
    }
}

/// How a kernel encodes DAX entries.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Era {
    /// v4.10 to v4.19: radix-tree exceptional entries (bit 1 set), RADIX_DAX_* flags
    /// above bit 2, the sector (later the pfn) from bit 6.
    Radix,
    /// v4.20 on: XArray value entries (bit 0 set); the value holds DAX_LOCKED, DAX_PMD,
    /// DAX_ZERO_PAGE and DAX_EMPTY in its low four bits and the pfn above them.
    Xarray,
}

impl Era {
    /// The era of a release "MAJOR.MINOR[...]" (a leading 'v' allowed).
    pub fn of_release(release: &str) -> Option<Era> {
        let r = release.trim().trim_start_matches('v');
        let mut parts = r.split(|c: char| !c.is_ascii_digit());
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
        if major < 4 || (major == 4 && minor < 10) {
            return None;
        }
        Some(if (major, minor) < (4, 20) { Era::Radix } else { Era::Xarray })
    }

    /// The era an entry value's low bits point to: value entries have bit 0 set,
    /// exceptional entries bit 1 with bit 0 clear.
    pub fn of_value(v: u64) -> Option<Era> {
        match v & 3 {
            1 | 3 => Some(Era::Xarray),
            2 => Some(Era::Radix),
            _ => None,
        }
    }
}

/// A DAX entry, decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub raw: u64,
    pub era: Era,
    pub locked: bool,
    pub pmd: bool,
    pub zero_page: bool,
    pub empty: bool,
    /// Above the flag bits: the sector (v4.11, v4.12) or pfn.
    pub data: u64,
}

impl Entry {
    pub fn decode(raw: u64, era: Era) -> Option<Entry> {
        match era {
            Era::Radix => {
                if raw & 3 != 2 {
                    return None;
                }
                Some(Entry {
                    raw,
                    era,
                    locked: raw & 0x4 != 0,
                    pmd: raw & 0x8 != 0,
                    zero_page: raw & 0x10 != 0,
                    empty: raw & 0x20 != 0,
                    data: raw >> 6,
                })
            }
            Era::Xarray => {
                if raw & 1 != 1 {
                    return None;
                }
                let v = raw >> 1;
                Some(Entry {
                    raw,
                    era,
                    locked: v & 1 != 0,
                    pmd: v & 2 != 0,
                    zero_page: v & 4 != 0,
                    empty: v & 8 != 0,
                    data: v >> 4,
                })
            }
        }
    }

    /// e.g. "locked huge zero page PMD" or "PMD pfn 0x5e00".
    pub fn describe(&self) -> String {
        let size = if self.pmd { "PMD" } else { "4k" };
        let lock = if self.locked { "locked " } else { "" };
        if self.empty {
            format!("{lock}empty {size}")
        } else if self.zero_page {
            format!("{lock}zero page {size}")
        } else {
            let what = if self.era == Era::Radix { "sector/pfn" } else { "pfn" };
            format!("{lock}{size} {what} {:#x}", self.data)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_flags_are_kept_as_text() {
        let f = Flags::parse("WRITE|ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE|0x800", FAULT_FLAGS);
        assert!(f.has("WRITE") && f.has("INTERRUPTIBLE"));
        assert_eq!(f.unknown, ["0x800"]);
        assert_eq!(f.text(), "WRITE|ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE|0x800");
        let r = Flags::parse("MAJOR|NEEDDSYNC", RESULT_FLAGS);
        assert!(r.has("NEEDDSYNC") && r.unknown.is_empty());
        assert!(Flags::parse("", RESULT_FLAGS).is_empty());
    }

    #[test]
    fn radix_entries_of_the_v4_11_emails() {
        // dax_pmd_load_hole's radix_entry 0x1e: a locked huge-zero-page PMD entry.
        let e = Entry::decode(0x1e, Era::Radix).unwrap();
        assert!(e.locked && e.pmd && e.zero_page && !e.empty);
        // dax_pmd_insert_mapping's 0xc000e: a locked PMD entry of sector 0x3000.
        let e = Entry::decode(0xc000e, Era::Radix).unwrap();
        assert_eq!((e.locked, e.pmd, e.data), (true, true, 0x3000));
        assert_eq!(Entry::decode(0x2e, Era::Radix).unwrap().describe(), "locked empty PMD");
        assert!(Entry::decode(0x1, Era::Radix).is_none());
    }

    #[test]
    fn xarray_value_entries_of_6_1() {
        // The real capture's dax_pmd_load_hole: radix_entry 0xbc00d = xa_mk_value(0x5e006):
        // a PMD zero-page entry of pfn 0x5e00.
        let e = Entry::decode(0xbc00d, Era::Xarray).unwrap();
        assert!(!e.locked && e.pmd && e.zero_page && !e.empty);
        assert_eq!(e.data, 0x5e00);
        assert_eq!(e.describe(), "zero page PMD");
        assert!(Entry::decode(0x1e, Era::Xarray).is_none());
    }

    #[test]
    fn eras() {
        assert_eq!(Era::of_release("v4.11"), Some(Era::Radix));
        assert_eq!(Era::of_release("4.19.3"), Some(Era::Radix));
        assert_eq!(Era::of_release("v4.20"), Some(Era::Xarray));
        assert_eq!(Era::of_release("6.1.0-57-amd64"), Some(Era::Xarray));
        assert_eq!(Era::of_release("3.10"), None);
        assert_eq!(Era::of_release("banana"), None);
        assert_eq!(Era::of_value(0xbc00d), Some(Era::Xarray));
        assert_eq!(Era::of_value(0x1e), Some(Era::Radix));
    }
}
