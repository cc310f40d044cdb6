//! What a decoded trace may contain beyond what the codec checks: every thread, process,
//! page, wait-table bucket, tag and entry order an event names exists in the model, and
//! every index and address lies where the model computes. A trace that passes can be
//! replayed, analysed and drawn without any of them indexing out of range or overflowing.

use super::{Event, EventKind};
use crate::check::Outcome;
use crate::dax::PMD_ORDER;
use crate::kernel::{DAX_WAIT_TABLE_BITS, WaitKey, WaitOn};
use crate::mm::{PAGE_SHIFT, PteKind, TASK_SIZE};
use crate::radix::{Item, RADIX_TREE_MAX_TAGS};
use crate::sim::{ThreadEnd, Tid, TidSet};

/// The first file page index past any the model can reach: file offsets are u64, so page
/// indices stay below 2^(64 - PAGE_SHIFT).
pub const MAX_INDEX: u64 = 1 << (64 - PAGE_SHIFT);

/// How many of each kind of object the trace's scenario and recording have.
pub(super) struct Limits {
    pub threads: usize,
    pub processes: usize,
    /// Hole pages are allocated one at a time by events, so no run has more pages than
    /// events: a bound on page ids that keeps them proportional to the input.
    pub pages: usize,
}

impl Limits {
    fn tid(&self, t: Tid, what: &str) -> Result<(), String> {
        if t.index() < self.threads {
            Ok(())
        } else {
            Err(format!("{what} names thread {} but the scenario has {}", t.0, self.threads))
        }
    }

    fn tids(&self, set: TidSet, what: &str) -> Result<(), String> {
        set.iter().try_for_each(|t| self.tid(t, what))
    }

    fn mm(&self, mm: u8) -> Result<(), String> {
        if usize::from(mm) < self.processes {
            Ok(())
        } else {
            Err(format!("names process {mm} but the scenario has {}", self.processes))
        }
    }

    fn page(&self, page: u32) -> Result<(), String> {
        if usize::try_from(page).is_ok_and(|p| p < self.pages) {
            Ok(())
        } else {
            Err(format!("names page#{page}, more pages than the trace has events"))
        }
    }

    fn item(&self, item: Item) -> Result<(), String> {
        match item {
            Item::Page(p) => self.page(p),
            Item::Exceptional(_) => Ok(()),
        }
    }

    fn wait_on(&self, on: &WaitOn) -> Result<(), String> {
        match on {
            WaitOn::Entry { key, bucket } => check_bucket(*key, *bucket),
            WaitOn::Page { page } => self.page(*page),
            WaitOn::Spin { .. } | WaitOn::Rwsem { .. } => Ok(()),
        }
    }

    /// Checks the threads (and pages) an outcome names.
    pub fn outcome(&self, o: &Outcome) -> Result<(), String> {
        match o {
            Outcome::Ok | Outcome::Bug { .. } => Ok(()),
            Outcome::Hang { waiting } => waiting.iter().try_for_each(|(t, on)| {
                self.tid(*t, "the outcome")?;
                self.wait_on(on)
            }),
            Outcome::Livelock { tid } => tid.map_or(Ok(()), |t| self.tid(t, "the outcome")),
            Outcome::Sigbus { tid, .. } | Outcome::Oom { tid, .. } => self.tid(*tid, "the outcome"),
            Outcome::DataLoss { by, .. } => self.tid(*by, "the outcome"),
            Outcome::Warned { warns, .. } if warns.is_empty() => Err("a warned outcome lists no WARN".into()),
            Outcome::Warned { then, .. } => self.outcome(then),
        }
    }

    /// Checks every id, index and address of one event.
    pub fn event(&self, e: &Event) -> Result<(), String> {
        self.tid(e.tid, "the event")?;
        if let Some(mm) = e.kind.mm() {
            self.mm(mm)?;
        }
        self.ids(&e.kind)?;
        indices(&e.kind)?;
        addresses(&e.kind)
    }

    /// Threads, pages, buckets, tags and orders.
    fn ids(&self, kind: &EventKind) -> Result<(), String> {
        use EventKind as E;
        match kind {
            E::LockContended { holder, .. } => self.tid(*holder, "`holder`"),
            E::Wake { key, bucket, woken, .. } => {
                self.tids(*woken, "`woken`")?;
                check_bucket(*key, *bucket)
            }
            E::WaitBegin { key, bucket, .. } => check_bucket(*key, *bucket),
            E::Lookup { found: Some(i), .. } | E::Relookup { found: Some(i), .. } => self.item(*i),
            E::Insert { item, order, .. } => {
                self.item(*item)?;
                check_order(*order)
            }
            E::Delete { item, .. } | E::GrabReturn { result: Ok(item), .. } => self.item(*item),
            E::Replace { old, new, .. } => {
                self.item(*old)?;
                self.item(*new)
            }
            E::ReplaceEmptySlot { new, .. } => self.item(*new),
            E::TagSet { tag, .. } | E::TagClear { tag, .. } | E::FindEntries { tag: Some(tag), .. }
                if *tag >= RADIX_TREE_MAX_TAGS =>
            {
                Err(format!("names radix tree tag {tag}; the tree has {RADIX_TREE_MAX_TAGS}"))
            }
            E::PageLock { page } | E::PageUnlock { page } | E::PageCacheDelete { page, .. } => self.page(*page),
            E::PageCacheInsert { page, replaced, .. } => {
                self.page(*page)?;
                replaced.map_or(Ok(()), |i| self.item(i))
            }
            E::PteInstall { pte, .. } => match pte.kind {
                PteKind::File { page } | PteKind::Anon { page } => self.page(page),
                PteKind::Devmap => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

fn check_bucket(key: WaitKey, bucket: u16) -> Result<(), String> {
    if key.index >= MAX_INDEX {
        return Err(format!("waits on index {:#x}, past the largest file index", key.index));
    }
    if bucket != key.bucket() {
        let table = 1u32 << DAX_WAIT_TABLE_BITS;
        return Err(format!("names wait-table bucket {bucket}, but its key hashes to {} (of {table})", key.bucket()));
    }
    Ok(())
}

/// A radix entry is 4 KiB (order 0) or a PMD (order 9). Its index need not be aligned: the
/// misaligned-pmd race inserts a PMD entry at an unaligned index, and the tree copes as
/// __radix_tree_insert() does.
fn check_order(order: u32) -> Result<(), String> {
    if order != 0 && order != PMD_ORDER {
        return Err(format!("inserts an entry of order {order}; entries have order 0 or {PMD_ORDER}"));
    }
    Ok(())
}

/// Every radix tree index an event names is a file page index.
fn indices(kind: &EventKind) -> Result<(), String> {
    use EventKind as E;
    let mut bad = None;
    let mut check = |i: u64| {
        if i >= MAX_INDEX && bad.is_none() {
            bad = Some(i);
        }
    };
    match kind {
        E::Lookup { index, canonical, .. } | E::Relookup { index, canonical, .. } => {
            check(*index);
            canonical.map(&mut check);
        }
        E::FindEntries { start, indices, .. } => {
            check(*start);
            indices.iter().copied().for_each(&mut check);
        }
        E::TagForWriteback { start, end, .. } => {
            check(*start);
            check(*end);
        }
        E::WaitEnd { key } => check(key.index),
        E::WritebackRescan { start, .. } => check(*start),
        E::FaultBegin { pgoff, .. } => check(*pgoff),
        other => {
            if let Some(i) = other.touched_index() {
                check(i);
            }
            if let E::GrabReturn { index, .. } | E::Restart { index, .. } | E::InvalidateKeep { index, .. } = other {
                check(*index);
            }
        }
    }
    match bad {
        Some(i) => Err(format!("names file index {i:#x}, past the largest, {:#x}", MAX_INDEX - 1)),
        None => Ok(()),
    }
}

/// Every user address an event names lies below TASK_SIZE.
fn addresses(kind: &EventKind) -> Result<(), String> {
    use EventKind as E;
    let addr = match kind {
        E::PmdCheck { addr, .. }
        | E::PmdInstall { addr, .. }
        | E::PmdSplit { addr, .. }
        | E::PteTableAlloc { addr, .. }
        | E::PteInstall { addr, .. }
        | E::PteBusy { addr, .. }
        | E::BadPmd { addr, .. }
        | E::Store { addr, .. }
        | E::Load { addr, .. }
        | E::Mkclean { addr, .. }
        | E::FaultBegin { addr, .. }
        | E::FaultDone { addr, .. }
        | E::Fallback { addr, .. } => *addr,
        E::PteZap { start, end, .. } if start > end => {
            return Err(format!("zaps [{start:#x}, {end:#x}], an empty range"));
        }
        E::PteZap { end, .. } => *end,
        E::ThreadExit { end: ThreadEnd::Sigbus { addr } | ThreadEnd::Oom { addr } | ThreadEnd::Livelock { addr } } => {
            *addr
        }
        _ => return Ok(()),
    };
    if addr < TASK_SIZE {
        Ok(())
    } else {
        Err(format!("names user address {addr:#x}, above TASK_SIZE ({TASK_SIZE:#x})"))
    }
}
