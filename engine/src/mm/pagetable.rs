//! Per-process page tables, reduced to what DAX faults touch: one PMD slot per 2 MiB of
//! address space, each empty, a PTE table, or a huge mapping.

use super::{PAGE_SHIFT, PMD_SHIFT, Vma};
use crate::footprint::{self, Obj, ObjKind};
use crate::kernel::Shared;
use crate::sim::Tid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PteKind {
    /// A DAX pfn installed by vm_insert_mixed (no struct page accounting, no rss).
    Devmap,
    /// A page-cache page (a 4 KiB hole page), counted in MM_FILEPAGES.
    File { page: u32 },
    /// A private copy made by a COW fault, counted in MM_ANONPAGES.
    Anon { page: u32 },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pte {
    pub pfn: u64,
    pub write: bool,
    pub dirty: bool,
    pub kind: PteKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PmdSlot {
    /// Points to a PTE page (`serial` numbers tables for display).
    Table { serial: u32, ptes: BTreeMap<u16, Pte> },
    /// A DAX huge mapping of pmem (pmd_devmap), installed by vmf_insert_pfn_pmd.
    HugeDevmap { pfn: u64, write: bool, dirty: bool, by: Tid },
    /// The huge zero page, read-only, installed by dax_pmd_load_hole.
    HugeZero { by: Tid },
}

/// A PMD slot's kind, as events report it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PmdKind {
    None,
    Table,
    HugeDevmap,
    HugeZero,
}

impl PmdKind {
    pub fn of(slot: Option<&PmdSlot>) -> PmdKind {
        match slot {
            None => PmdKind::None,
            Some(PmdSlot::Table { .. }) => PmdKind::Table,
            Some(PmdSlot::HugeDevmap { .. }) => PmdKind::HugeDevmap,
            Some(PmdSlot::HugeZero { .. }) => PmdKind::HugeZero,
        }
    }
    pub fn is_huge(self) -> bool {
        matches!(self, PmdKind::HugeDevmap | PmdKind::HugeZero)
    }
}

impl fmt::Display for PmdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PmdKind::None => "none",
            PmdKind::Table => "PTE table",
            PmdKind::HugeDevmap => "huge devmap PMD",
            PmdKind::HugeZero => "huge zero PMD",
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageTables {
    pub pmds: BTreeMap<u64, PmdSlot>,
    /// mm->nr_ptes: PTE pages allocated.
    pub nr_ptes: i64,
    /// MM_FILEPAGES and MM_ANONPAGES.
    pub rss: [i64; 2],
    /// MMF_HUGE_ZERO_PAGE: this mm holds a reference to the huge zero page.
    pub huge_zero_ref: bool,
    pub next_table_serial: u32,
    /// PTE tables no slot points to any more (a "bad pmd" clear wiped the slot, or a huge
    /// PMD was written over it), by serial. They stay allocated and counted in nr_ptes, and
    /// exit never walks them; only a thread that took its PTE pointer before the slot
    /// changed still writes into one.
    #[serde(default)]
    pub orphans: BTreeMap<u32, BTreeMap<u16, Pte>>,
}

impl PageTables {
    pub fn slot(&self, addr: u64) -> Option<&PmdSlot> {
        self.pmds.get(&(addr >> PMD_SHIFT))
    }
    pub fn slot_mut(&mut self, addr: u64) -> Option<&mut PmdSlot> {
        self.pmds.get_mut(&(addr >> PMD_SHIFT))
    }
    pub fn kind(&self, addr: u64) -> PmdKind {
        PmdKind::of(self.slot(addr))
    }
    pub fn set(&mut self, addr: u64, slot: PmdSlot) -> Option<PmdSlot> {
        self.pmds.insert(addr >> PMD_SHIFT, slot)
    }
    pub fn clear(&mut self, addr: u64) -> Option<PmdSlot> {
        self.pmds.remove(&(addr >> PMD_SHIFT))
    }
    /// Writes `slot` over whatever the slot holds; a PTE table there is orphaned. Returns
    /// the kind that was there.
    pub fn overwrite(&mut self, addr: u64, slot: Option<PmdSlot>) -> PmdKind {
        let old = match slot {
            Some(s) => self.set(addr, s),
            None => self.clear(addr),
        };
        let kind = PmdKind::of(old.as_ref());
        if let Some(PmdSlot::Table { serial, ptes }) = old {
            self.orphans.insert(serial, ptes);
        }
        kind
    }
    /// The PTEs of table `serial`, which a walk took from the slot at `addr`: the live table
    /// if the slot still points to it (`true`), or the orphan it has become (`false`).
    pub fn ptes_of(&mut self, addr: u64, serial: u32) -> Option<(&mut BTreeMap<u16, Pte>, bool)> {
        match self.pmds.get_mut(&(addr >> PMD_SHIFT)) {
            Some(PmdSlot::Table { serial: s, ptes }) if *s == serial => Some((ptes, true)),
            _ => self.orphans.get_mut(&serial).map(|ptes| (ptes, false)),
        }
    }
    pub fn pte(&self, addr: u64) -> Option<Pte> {
        match self.slot(addr)? {
            PmdSlot::Table { ptes, .. } => ptes.get(&pte_index(addr)).copied(),
            _ => None,
        }
    }
    /// exit_mmap(): zap every mapping (dropping rss for counted PTEs) and free every PTE
    /// page reachable from the PMD slots. Whatever the counters still say afterwards was
    /// leaked: a PTE page no slot points to any more, or rss that no PTE accounts for.
    pub fn teardown(&mut self) -> Teardown {
        for slot in std::mem::take(&mut self.pmds).into_values() {
            if let PmdSlot::Table { ptes, .. } = slot {
                for pte in ptes.values() {
                    match pte.kind {
                        PteKind::File { .. } => self.rss[0] -= 1,
                        PteKind::Anon { .. } => self.rss[1] -= 1,
                        PteKind::Devmap => {}
                    }
                }
                self.nr_ptes -= 1;
            }
        }
        Teardown { nr_ptes: self.nr_ptes, rss: self.rss }
    }

    pub fn new_table(&mut self) -> PmdSlot {
        let serial = self.next_table_serial;
        self.next_table_serial += 1;
        PmdSlot::Table { serial, ptes: BTreeMap::new() }
    }
}

pub fn pte_index(addr: u64) -> u16 {
    ((addr >> PAGE_SHIFT) & 511) as u16
}

/// What exit_mmap() found: the counters check_mm() complains about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Teardown {
    pub nr_ptes: i64,
    pub rss: [i64; 2],
}

/// The per-mm counters a step adds to.
#[derive(Copy, Clone, Debug)]
#[repr(u64)]
pub enum MmCounter {
    RssFile = 0,
    RssAnon = 1,
    NrPtes = 2,
    HugeZeroRef = 3,
    /// Display numbers of PTE tables.
    TableSerial = 4,
}

/// One process: its mappings of the file and its page tables (shared by its threads).
#[derive(Debug)]
pub struct Mm {
    pub id: u8,
    pub vmas: Vec<Vma>,
    pub pt: Shared<PageTables>,
    /// The process unmapped the file and exited (a setup process, at its end): its vmas
    /// no longer count for mapping_mapped().
    exited: std::sync::atomic::AtomicBool,
}

impl Mm {
    pub fn new(id: u8, vmas: Vec<Vma>) -> Self {
        Mm { id, vmas, pt: Shared::new(PageTables::default()), exited: Default::default() }
    }

    pub fn exited(&self) -> bool {
        self.exited.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn set_exited(&self) {
        self.exited.store(true, std::sync::atomic::Ordering::Release);
    }

    pub fn find_vma(&self, addr: u64) -> Option<&Vma> {
        self.vmas.iter().find(|v| v.contains(addr))
    }

    /// exit_mmap() for this process: see [`PageTables::teardown`].
    pub fn teardown(&self) -> Teardown {
        footprint::writes(self.all(ObjKind::Pmd));
        footprint::writes(self.all(ObjKind::Pte));
        footprint::writes(self.all(ObjKind::MmCounter));
        self.pt.with(PageTables::teardown)
    }

    // The page tables as objects steps touch (see crate::footprint). The code that walks
    // them declares what it looked at and changed: the PMD slot, one PTE, or all PTEs
    // under a slot when a whole table goes or comes with it.

    /// The PMD slot covering `addr`: empty, a table, or a huge mapping (with its bits).
    pub fn pmd_obj(&self, addr: u64) -> Obj {
        Obj::at(ObjKind::Pmd, u32::from(self.id), addr >> PMD_SHIFT)
    }

    pub fn pte_obj(&self, addr: u64) -> Obj {
        Obj::at(ObjKind::Pte, u32::from(self.id), addr >> PAGE_SHIFT)
    }

    /// Every PTE under the PMD slot covering `addr`.
    pub fn ptes_obj(&self, addr: u64) -> Obj {
        Obj::span(ObjKind::Pte, u32::from(self.id), (addr >> PMD_SHIFT) << (PMD_SHIFT - PAGE_SHIFT), 512)
    }

    /// The counters check_mm() reads at exit; increments commute.
    pub fn counter_obj(&self, c: MmCounter) -> Obj {
        Obj::at(ObjKind::MmCounter, u32::from(self.id), c as u64)
    }

    pub fn all(&self, kind: ObjKind) -> Obj {
        Obj::all(kind, u32::from(self.id))
    }
}
