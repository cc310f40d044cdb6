use super::Func;
use super::SrcLoc;
use crate::check::Invariant;
use crate::dax::FallbackReason;
use crate::fs::IomapDesc;
use crate::kernel::{Errno, LockId, WaitKey};
use crate::mm::{PeSize, PmdKind, Pte, VmFault};
use crate::radix::Item;
use crate::sim::{ThreadEnd, Tid, TidSet};
use crate::xarray::{Entry, XaMark, XaState};
use serde::{Deserialize, Serialize};

/// One event: which step of the execution, which thread, what happened and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub step: u32,
    pub tid: Tid,
    pub kind: EventKind,
    pub at: SrcLoc,
}

/// Why grab_mapping_entry() went back to `restart:`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartReason {
    /// The fix: the re-lookup after radix_tree_preload() found an entry at our index.
    RelookupFound,
    /// v4.11-rc5: a 4 KiB insert got -EEXIST ("someone already created the entry").
    PteInsertEexist,
    /// The hole page we locked was truncated meanwhile.
    PageTruncated,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A modelled kernel function starts (paired with an `Exit`).
    Enter {
        func: Func,
    },
    Exit {
        func: Func,
    },
    ThreadExit {
        end: ThreadEnd,
    },
    LockAcquire {
        lock: LockId,
    },
    LockRelease {
        lock: LockId,
    },
    /// The lock is held by `holder`; this thread spins until it is released.
    LockContended {
        lock: LockId,
        holder: Tid,
    },
    RwsemAcquire {
        lock: LockId,
        write: bool,
    },
    RwsemRelease {
        lock: LockId,
        write: bool,
    },
    RwsemContended {
        lock: LockId,
        write: bool,
    },
    /// `__radix_tree_lookup(index)`; `canonical` is the first index of the entry found
    /// (differs from `index` inside a PMD entry).
    Lookup {
        index: u64,
        found: Option<Item>,
        canonical: Option<u64>,
    },
    /// The fix: the second lookup of `index` after radix_tree_preload(), under tree_lock.
    Relookup {
        index: u64,
        found: Option<Item>,
        canonical: Option<u64>,
    },
    EntryLock {
        index: u64,
        entry: u64,
    },
    EntryUnlock {
        index: u64,
        entry: u64,
    },
    WaitBegin {
        key: WaitKey,
        bucket: u16,
        exclusive: bool,
    },
    WaitEnd {
        key: WaitKey,
    },
    /// `__wake_up` on a wait-table bucket; `woken` are the waiters whose key matched.
    Wake {
        key: WaitKey,
        bucket: u16,
        all: bool,
        woken: TidSet,
    },
    /// `radix_tree_preload()`: on success preemption stays disabled until preload_end.
    Preload {
        ok: bool,
        pool: u32,
    },
    PreloadEnd,
    Insert {
        index: u64,
        order: u32,
        item: Item,
        err: Option<Errno>,
        /// Nodes this insert allocated, and how many of them came from the preload pool.
        nodes: u32,
        from_pool: u32,
    },
    Delete {
        index: u64,
        item: Item,
    },
    Replace {
        index: u64,
        old: Item,
        new: Item,
    },
    TagSet {
        index: u64,
        tag: u32,
    },
    TagClear {
        index: u64,
        tag: u32,
    },
    IomapBegin {
        pos: u64,
        len: u64,
        write: bool,
        #[serde(with = "iomap_result")]
        result: Result<IomapDesc, Errno>,
    },
    IomapEnd {
        pos: u64,
        len: u64,
        copied: u64,
    },
    FaultBegin {
        addr: u64,
        pgoff: u64,
        size: PeSize,
        write: bool,
    },
    FaultDone {
        addr: u64,
        size: PeSize,
        result: VmFault,
    },
    Fallback {
        addr: u64,
        reason: FallbackReason,
    },
    GrabReturn {
        index: u64,
        pmd: bool,
        #[serde(with = "grab_result")]
        result: Result<Item, Errno>,
    },
    Restart {
        index: u64,
        reason: RestartReason,
    },
    /// An unlocked read of the PMD slot (`pmd_none()` in __handle_mm_fault, the
    /// handle_pte_fault guard, the user's MMU walk).
    PmdCheck {
        mm: u8,
        addr: u64,
        slot: PmdKind,
    },
    PmdInstall {
        mm: u8,
        addr: u64,
        old: PmdKind,
        new: PmdKind,
        pfn: u64,
        write: bool,
    },
    /// split_huge_pmd() or a zap of a DAX vma: the huge PMD is simply cleared.
    PmdSplit {
        mm: u8,
        addr: u64,
        old: PmdKind,
    },
    PteTableAlloc {
        mm: u8,
        addr: u64,
        populated: bool,
    },
    /// A PTE is set (new, made writable, or replaced by a private copy).
    PteInstall {
        mm: u8,
        addr: u64,
        pte: Pte,
    },
    /// PTEs of the file's pages in [start, end] are zapped from process `mm`.
    PteZap {
        mm: u8,
        start: u64,
        end: u64,
    },
    /// exit_mmap(): every mapping and page table of process `mm` is torn down.
    MmTeardown {
        mm: u8,
    },
    PteBusy {
        mm: u8,
        addr: u64,
    },
    /// pmd_clear_bad(): "mm/pgtable-generic.c: bad pmd", the slot is cleared.
    BadPmd {
        mm: u8,
        addr: u64,
        old: PmdKind,
    },
    UnmapRange {
        start: u64,
        len: u64,
    },
    PageLock {
        page: u32,
    },
    PageUnlock {
        page: u32,
    },
    /// page_cache_tree_insert(): a hole page replaces the locked empty entry at `index`.
    PageCacheInsert {
        index: u64,
        page: u32,
        replaced: Option<Item>,
    },
    PageCacheDelete {
        index: u64,
        page: u32,
    },
    Store {
        mm: u8,
        addr: u64,
        value: u64,
        phys: u64,
    },
    Load {
        mm: u8,
        addr: u64,
        value: u64,
        phys: u64,
    },
    Bug {
        invariant: Invariant,
    },
    /// A system call enters the filesystem (read(2), write(2), fsync(2), truncate(2), ...).
    SyscallEnter {
        call: Syscall,
        offset: u64,
        len: u64,
    },
    /// ... and returns `ret` (bytes, 0, or a negative errno).
    SyscallExit {
        call: Syscall,
        ret: i64,
    },
    /// find_get_entries() / find_get_entries_tag(): up to `max` entries from `start`, each
    /// at its first index.
    FindEntries {
        start: u64,
        max: u32,
        tag: Option<u32>,
        indices: Vec<u64>,
    },
    /// tag_pages_for_writeback(): DIRTY entries in [start, end] also tagged TOWRITE.
    TagForWriteback {
        start: u64,
        end: u64,
        tagged: u32,
    },
    /// dax_writeback_mapping_range() looks up the next batch from `start` again: v4.11 does
    /// not advance start_index between batches (fixed in 4.12).
    WritebackRescan {
        start: u64,
        pass: u32,
    },
    /// dax_mapping_entry_mkclean(): a PTE or huge PMD mapping `pfn` is write-protected and
    /// cleaned.
    Mkclean {
        mm: u8,
        addr: u64,
        pfn: u64,
        huge: bool,
    },
    /// wb_cache_pmem(): the CPU cache lines of [offset, offset+len) of pmem are written back.
    PmemFlush {
        offset: u64,
        len: u64,
    },
    /// i_size_write().
    Isize {
        old: u64,
        new: u64,
    },
    /// The filesystem frees file blocks [fblk, fblk+len) (truncate, punch hole).
    BlocksFreed {
        fblk: u64,
        len: u64,
    },
    /// fallocate(): unwritten blocks are allocated over the holes of [fblk, fblk+len).
    BlocksAllocated {
        fblk: u64,
        len: u64,
    },
    /// dax_iomap_actor(): bytes copied between the user buffer and pmem (the first 8 shown).
    IoCopy {
        pos: u64,
        len: u64,
        write: bool,
        value: u64,
    },
    /// dax_iomap_actor(): a read of a hole or unwritten extent returns zeros.
    IoZero {
        pos: u64,
        len: u64,
    },
    /// A DAX entry an invalidation looked at and kept (locked, dirty, or not there).
    InvalidateKeep {
        index: u64,
        reason: KeepReason,
    },
    /// xas_load(): the entry at `index`, walking no lower than the state's `order`.
    XasLoad {
        index: u64,
        order: u32,
        entry: Option<Entry>,
    },
    /// xas_find_conflict(): the next entry present in the `order`-sized range at `index`,
    /// or none left.
    XasFindConflict {
        index: u64,
        order: u32,
        entry: Option<Entry>,
    },
    /// xas_find() / xas_next_entry(): the next present entry up to `max`; `index` is where
    /// the state points afterwards.
    XasFind {
        index: u64,
        max: u64,
        entry: Option<Entry>,
    },
    /// xas_find_marked() / xas_next_marked(): the same, among entries carrying `mark`.
    XasFindMarked {
        index: u64,
        max: u64,
        mark: XaMark,
        entry: Option<Entry>,
    },
    /// xas_store(): `xas` is the state before the store, `old` what it returned, `nodes`
    /// the nodes its GFP_NOWAIT allocations gave (a node from xas_nomem() is used first and
    /// not counted), `err` the error the state carries afterwards.
    XasStore {
        xas: XaState,
        entry: Option<Entry>,
        old: Option<Entry>,
        nodes: u32,
        err: Option<Errno>,
    },
    /// xas_create_range(), recorded as xas_store() is.
    XasCreateRange {
        xas: XaState,
        nodes: u32,
        err: Option<Errno>,
    },
    /// xas_nomem() after -ENOMEM: the node for the retry was allocated (`ok`) or not.
    XasNomem {
        index: u64,
        ok: bool,
    },
    /// xas_pause(): the walk at `index` will resume from `next`.
    XasPause {
        index: u64,
        next: u64,
    },
    XasSetMark {
        xas: XaState,
        mark: XaMark,
    },
    XasClearMark {
        xas: XaState,
        mark: XaMark,
    },
    XasGetMark {
        index: u64,
        mark: XaMark,
        set: bool,
    },
    /// One of the unlocked tests of the PMD slot in handle_pte_fault()'s and
    /// pte_alloc_one_map()'s guard, with what the slot held when it was loaded.
    PmdTest {
        mm: u8,
        addr: u64,
        test: PmdTest,
        slot: PmdKind,
    },
    /// pte_offset_map(_lock)(): the PTE table a walk takes from the slot. (When the slot
    /// holds no table the walk is a bug, and the bug is the event.)
    PteMap {
        mm: u8,
        addr: u64,
        table: u32,
    },
    /// A PTE written, under its PTE lock, into PTE table `table` after the PMD slot stopped
    /// pointing to it: nobody will see the PTE, but its rss count stays.
    OrphanPteInstall {
        mm: u8,
        addr: u64,
        table: u32,
        pte: Pte,
    },
    /// __radix_tree_replace() through the slot a lookup of `index` stopped at, which held
    /// nothing: `new` now covers every index of that slot (what dax_insert_mapping_entry()
    /// does after its WARN when the entry it locked is not where it looks).
    ReplaceEmptySlot {
        index: u64,
        new: Item,
    },
}

/// Which unlocked test of a PMD slot a `PmdTest` event is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PmdTest {
    /// pmd_trans_unstable() = pmd_none_or_trans_huge_or_clear_bad().
    TransUnstable,
    /// pmd_devmap().
    Devmap,
}

/// A system call the scenario can make on the DAX file.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Syscall {
    Read,
    Write,
    Fsync,
    Truncate,
    PunchHole,
    Fallocate,
    DropCaches,
}

impl Syscall {
    pub fn name(self) -> &'static str {
        match self {
            Syscall::Read => "read",
            Syscall::Write => "write",
            Syscall::Fsync => "fsync",
            Syscall::Truncate => "truncate",
            Syscall::PunchHole => "fallocate(PUNCH_HOLE)",
            Syscall::Fallocate => "fallocate",
            Syscall::DropCaches => "drop_caches",
        }
    }
}

/// Why an invalidation left a DAX entry in the tree.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeepReason {
    /// dax_invalidate_mapping_entry() does not wait for a locked entry.
    Locked,
    /// Tagged DIRTY or TOWRITE: fsync still has to flush it.
    Dirty,
}

impl EventKind {
    /// The process whose page tables the event is about, if any.
    pub fn mm(&self) -> Option<u8> {
        use EventKind as E;
        match self {
            E::PmdCheck { mm, .. }
            | E::PmdInstall { mm, .. }
            | E::PmdSplit { mm, .. }
            | E::PteTableAlloc { mm, .. }
            | E::PteInstall { mm, .. }
            | E::PteZap { mm, .. }
            | E::PteBusy { mm, .. }
            | E::BadPmd { mm, .. }
            | E::PmdTest { mm, .. }
            | E::PteMap { mm, .. }
            | E::OrphanPteInstall { mm, .. }
            | E::Store { mm, .. }
            | E::Load { mm, .. }
            | E::Mkclean { mm, .. }
            | E::MmTeardown { mm } => Some(*mm),
            _ => None,
        }
    }

    /// The tree index the event is about, if it touches one entry (or hole page).
    pub fn touched_index(&self) -> Option<u64> {
        use EventKind as E;
        match self {
            E::Insert { index, .. }
            | E::Delete { index, .. }
            | E::Replace { index, .. }
            | E::ReplaceEmptySlot { index, .. }
            | E::EntryLock { index, .. }
            | E::EntryUnlock { index, .. }
            | E::TagSet { index, .. }
            | E::TagClear { index, .. }
            | E::PageCacheInsert { index, .. }
            | E::PageCacheDelete { index, .. } => Some(*index),
            E::XasStore { xas, .. }
            | E::XasCreateRange { xas, .. }
            | E::XasSetMark { xas, .. }
            | E::XasClearMark { xas, .. } => Some(xas.xa_index()),
            _ => None,
        }
    }
}

/// Each `Result` in an event travels as an enum with a name of its own, so that a schema
/// of the format (and a reader in another language) can tell them apart. On the wire it is
/// the same as serde's `Result`: variant 0 `Ok`, variant 1 `Err`.
macro_rules! named_result {
    ($module:ident, $wire:ident, $name:literal, $ok:ty) => {
        /// The wire form of a `Result` in an event (see `named_result!`).
        #[derive(Serialize, Deserialize)]
        #[serde(rename = $name)]
        pub enum $wire {
            Ok($ok),
            Err(Errno),
        }

        mod $module {
            use super::*;
            use serde::{Deserializer, Serializer};

            pub fn serialize<S: Serializer>(r: &Result<$ok, Errno>, s: S) -> Result<S::Ok, S::Error> {
                match r {
                    Ok(v) => s.serialize_newtype_variant($name, 0, "Ok", v),
                    Err(e) => s.serialize_newtype_variant($name, 1, "Err", e),
                }
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Result<$ok, Errno>, D::Error> {
                Ok(match $wire::deserialize(d)? {
                    $wire::Ok(v) => Ok(v),
                    $wire::Err(e) => Err(e),
                })
            }
        }
    };
}

named_result!(iomap_result, IomapResult, "IomapResult", IomapDesc);
named_result!(grab_result, GrabResult, "GrabResult", Item);
