//! The seed race ("dax: fix radix tree insertion race", Linux v4.11) as a small concurrent
//! program for loom and shuttle. The same file is compiled by both peer crates, each with a
//! `sync` module pointing at its own tool's primitives, so both tools explore one program.
//!
//! Two threads of one process store into the same 2 MiB hole of a DAX file: T1 at page
//! 0x205, T2 at page 0x2a0. Each takes the PMD fault path for index 0x200; on the unfixed
//! kernel a thread whose radix_tree_preload() window lets the other insert gets -EEXIST,
//! falls back to a 4 KiB fault, waits for the other's PMD entry, and installs a PTE through
//! the huge PMD the other mapped: the assertion in `insert_pfn_locked` fires.
//!
//! Correspondence with daxlab's model (engine/src/dax, engine/src/mm): every operation on
//! shared kernel state that is a scheduling point there is one operation here (taking or
//! releasing a lock, or one atomic access), on an object of its own, and `OPS` counts them:
//!
//! - `tree_lock` is the tool's Mutex (a task waiting for it is blocked, as in daxlab; loom
//!   has no scheduling point where a Mutex is released, daxlab and shuttle have one);
//! - the radix-tree node covering 0x200..0x3ff is one word (`tree`): the order-9 entry at
//!   0x200 and one 4 KiB entry per thread's page; its DIRTY tags are another (`tags`);
//! - the wait queue of the key (mapping, 0x200) is a word of queued tasks (`waiters`), with
//!   park/unpark as schedule() and wake_up_process(): every entry in this race is the PMD
//!   entry at 0x200, so every sleeper hashes to that one key;
//! - the PMD slot and the PTE page under it are one word (`pmd`);
//! - i_mmap_sem (only readers here), the extent allocator and each CPU's preload pool are
//!   one word each.
//!
//! All atomics are SeqCst, and their initial values are stored again with SeqCst (see
//! `Kernel::new`): daxlab's model is sequentially consistent, and so loom explores no
//! weak-memory values.
//!
//! Left out because this race never reaches it (each is asserted, so a port bug would show):
//! the downgrade of an empty PMD entry by a 4 KiB fault, a 4 KiB entry at index 0x200, huge
//! zero pages, and the read-only first mapping of a PTE (daxlab maps a shared DAX PTE read-only
//! and takes a pfn_mkwrite fault on the first store; here the PTE is mapped writable).

use crate::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize};
use crate::sync::thread::{self, Thread};
use crate::sync::{Mutex, MutexGuard};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;

/// Which grab_mapping_entry() runs: v4.11-rc5, or v4.11 with the fix's re-lookup.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Variant {
    Unfixed,
    Fixed,
}

thread_local! {
    /// Operations of the kernel model, summed over executions (a statistic for the
    /// benchmark's report, not part of the model). Both tools run every model thread as a
    /// coroutine on the thread that started the search, so the count is per search.
    pub static OPS: Cell<u64> = const { Cell::new(0) };
}

/// The file pages the two threads store into.
pub const PAGES: [u64; 2] = [0x205, 0x2a0];

// An entry of the radix tree, as a few flag bits (the kernel packs the same flags and a
// sector into its exceptional entries).
const ENTRY: u64 = 1;
/// RADIX_DAX_ENTRY_LOCK.
const LOCKED: u64 = 2;
/// RADIX_DAX_PMD: an order-9 entry covering 0x200..0x3ff.
const PMD: u64 = 4;
/// RADIX_DAX_EMPTY: no storage behind it yet.
const EMPTY: u64 = 8;
const SLOT_BITS: u32 = 8;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;

// The PMD slot: its kind in the low bits, then one present bit per thread's PTE.
const PMD_NONE: u64 = 0;
const PMD_TABLE: u64 = 1;
const PMD_HUGE: u64 = 2;
const PMD_KIND: u64 = 3;
const PTE_SHIFT: u32 = 4;

/// A faulting thread gives up after this many faults for one store (daxlab's livelock limit).
const MAX_FAULTS_PER_ACCESS: u32 = 32;
/// RADIX_TREE_PRELOAD_SIZE.
const PRELOAD_SIZE: u32 = 21;

/// A radix-tree index: the PMD index 0x200 or a thread's own page.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Index {
    Pmd,
    Page(usize),
}

impl Index {
    fn page_slot(p: usize) -> u32 {
        SLOT_BITS * (1 + p as u32)
    }

    /// The slot (bit offset) of the entry covering this index, if there is one.
    fn covering(self, tree: u64) -> Option<u32> {
        if tree & ENTRY != 0 {
            return Some(0);
        }
        match self {
            Index::Pmd => None,
            Index::Page(p) => (tree >> Index::page_slot(p) & ENTRY != 0).then(|| Index::page_slot(p)),
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Fault {
    /// The fault mapped something (or found it mapped): retry the access.
    NoPage,
    /// The PMD fault gave up: try the 4 KiB path.
    Fallback,
}

#[derive(Debug)]
struct Eexist;

/// The shared kernel state of one execution.
pub struct Kernel {
    variant: Variant,
    tree_lock: Mutex<()>,
    tree: AtomicU64,
    tags: AtomicU64,
    waiters: AtomicU32,
    mmap_sem: AtomicUsize,
    extent_allocated: AtomicBool,
    preload: [AtomicU32; 2],
    pmd: AtomicU64,
}

impl Kernel {
    pub fn new(variant: Variant) -> Self {
        let k = Kernel {
            variant,
            tree_lock: Mutex::new(()),
            tree: AtomicU64::new(0),
            tags: AtomicU64::new(0),
            waiters: AtomicU32::new(0),
            mmap_sem: AtomicUsize::new(0),
            extent_allocated: AtomicBool::new(false),
            preload: [AtomicU32::new(0), AtomicU32::new(0)],
            pmd: AtomicU64::new(PMD_NONE),
        };
        // loom treats SeqCst accesses as AcqRel, under which a load that does not
        // happen-after a later SeqCst store may still return the value an atomic was created
        // with: executions a sequentially consistent machine (and daxlab's model) cannot
        // have. Writing every initial value again with SeqCst, before T2 exists, makes loom
        // return only the newest value. (Not counted in OPS: there is no choice to make yet.)
        k.tree.store(0, SeqCst);
        k.tags.store(0, SeqCst);
        k.waiters.store(0, SeqCst);
        k.mmap_sem.store(0, SeqCst);
        k.extent_allocated.store(false, SeqCst);
        for pool in &k.preload {
            pool.store(0, SeqCst);
        }
        k.pmd.store(PMD_NONE, SeqCst);
        k
    }
}

/// One execution: T1 runs on the tool's main thread (so the tools need no third thread to
/// join them), T2 on a spawned one.
pub fn seed_race(variant: Variant) {
    let kernel = Arc::new(Kernel::new(variant));
    let t1 = thread::current();
    let k2 = Arc::clone(&kernel);
    let t2 = thread::spawn(move || Task { k: &k2, page: 1, peer: t1 }.user_store());
    Task { k: &kernel, page: 0, peer: t2.thread().clone() }.user_store();
    t2.join().expect("T2 panicked");
}

/// A thread of the holetest process.
struct Task<'a> {
    k: &'a Kernel,
    /// Which of `PAGES` it stores into.
    page: usize,
    /// The other thread: the only one that can be asleep when this one wakes a waiter.
    peer: Thread,
}

impl Task<'_> {
    fn op(&self) {
        OPS.set(OPS.get() + 1);
    }

    fn me(&self) -> u32 {
        1 << self.page
    }

    fn pte_bit(&self) -> u64 {
        1 << (PTE_SHIFT + self.page as u32)
    }

    fn lock_tree(&self) -> MutexGuard<'_, ()> {
        self.op();
        self.k.tree_lock.lock().expect("tree_lock poisoned")
    }

    /// spin_unlock_irq(): counted like every other operation (daxlab and shuttle schedule
    /// here; loom does not).
    fn unlock_tree(&self, guard: MutexGuard<'_, ()>) {
        self.op();
        drop(guard);
    }

    /// One user store: the MMU walk, and on a miss the fault and a retry.
    fn user_store(&self) {
        for _ in 0..MAX_FAULTS_PER_ACCESS {
            if self.mmu_store() {
                return;
            }
            self.handle_mm_fault();
        }
        panic!("livelock: page {:#x} faulted {MAX_FAULTS_PER_ACCESS} times", PAGES[self.page]);
    }

    /// The MMU: a huge PMD or this page's PTE maps the store.
    fn mmu_store(&self) -> bool {
        self.op();
        let slot = self.k.pmd.load(SeqCst);
        match slot & PMD_KIND {
            PMD_HUGE => true,
            PMD_TABLE => slot & self.pte_bit() != 0,
            _ => false,
        }
    }

    /// __handle_mm_fault(): an empty PMD slot tries the huge fault first; the unlocked
    /// pmd_none() check is not repeated before the 4 KiB path installs its PTE.
    fn handle_mm_fault(&self) {
        self.op();
        let kind = self.k.pmd.load(SeqCst) & PMD_KIND;
        // A huge PMD mapped meanwhile (huge_pmd_set_accessed()): the store retries. An
        // empty slot goes to the huge fault; only its fallback continues to the PTE path.
        if kind == PMD_HUGE || (kind == PMD_NONE && self.daxfs_fault(true) == Fault::NoPage) {
            return;
        }
        self.handle_pte_fault();
    }

    /// handle_pte_fault(): v4.11 tests pmd_trans_unstable() before pmd_devmap(), so a DAX
    /// huge PMD found here is a "bad pmd": cleared, and the fault retried.
    fn handle_pte_fault(&self) {
        self.op();
        let guard = self.k.pmd.fetch_update(SeqCst, SeqCst, |s| (s & PMD_KIND == PMD_HUGE).then_some(PMD_NONE));
        match guard {
            Ok(_) => {}
            Err(slot) if slot & PMD_KIND == PMD_TABLE && slot & self.pte_bit() != 0 => {}
            Err(_) => {
                self.daxfs_fault(false);
            }
        }
    }

    /// The filesystem's fault handler: the fault lock (i_mmap_sem) shared around the DAX
    /// fault. No writer takes it in this race, so down_read never waits.
    fn daxfs_fault(&self, pmd: bool) -> Fault {
        self.op();
        self.k.mmap_sem.fetch_add(1, SeqCst);
        let result = if pmd { self.dax_iomap_pmd_fault() } else { self.dax_iomap_pte_fault() };
        self.op();
        self.k.mmap_sem.fetch_sub(1, SeqCst);
        result
    }

    /// ->iomap_begin() for a write: the first caller allocates the 2 MiB extent, under the
    /// filesystem's own serialisation (one step).
    fn iomap_begin(&self) {
        self.op();
        self.k.extent_allocated.swap(true, SeqCst);
    }

    /// dax_iomap_pmd_fault() for a shared, 2 MiB-aligned mapping inside the file: the
    /// checks before iomap_begin pass, so only grab_mapping_entry() can make it fall back.
    fn dax_iomap_pmd_fault(&self) -> Fault {
        self.iomap_begin();
        let result = match self.grab_mapping_entry(Index::Pmd) {
            Err(Eexist) => Fault::Fallback,
            Ok(entry) => {
                self.dax_insert_mapping_entry(entry, PMD);
                self.vmf_insert_pfn_pmd();
                self.dax_unlock_mapping_entry(Index::Pmd);
                Fault::NoPage
            }
        };
        if result == Fault::Fallback {
            self.split_huge_pmd();
        }
        result
    }

    /// dax_iomap_pte_fault() on a mapped extent: record the entry, install the PTE.
    fn dax_iomap_pte_fault(&self) -> Fault {
        self.iomap_begin();
        let index = Index::Page(self.page);
        let entry = self.grab_mapping_entry(index).expect("a 4 KiB grab restarts on -EEXIST");
        self.dax_insert_mapping_entry(entry, 0);
        self.vm_insert_mixed();
        self.dax_unlock_mapping_entry(index);
        Fault::NoPage
    }

    /// grab_mapping_entry(): the locked entry at `index`, or a locked empty one inserted.
    /// tree_lock is dropped around radix_tree_preload() with nothing locked at `index`.
    fn grab_mapping_entry(&self, index: Index) -> Result<u64, Eexist> {
        let pmd_request = index == Index::Pmd;
        loop {
            let guard = self.lock_tree();
            let (entry, guard) = self.get_unlocked_mapping_entry(index, guard);
            if let Some(e) = entry {
                // A lookup of 0x200 finds only the PMD entry (no thread faults on page
                // 0x200), and an empty PMD entry is never unlocked in this race, so neither
                // the -EEXIST-on-lookup branch nor the PMD downgrade is reachable.
                assert!(e & PMD != 0 || !pmd_request, "port: 4 KiB entry at 0x200");
                assert!(pmd_request || e & (PMD | EMPTY) != PMD | EMPTY, "port: PMD downgrade");
                let locked = self.lock_slot(index);
                self.unlock_tree(guard);
                return Ok(locked);
            }
            // The race window: nothing at `index` is locked while tree_lock is dropped.
            self.unlock_tree(guard);
            self.radix_tree_preload();
            let guard = self.lock_tree();
            if self.k.variant == Variant::Fixed && self.lookup(index).is_some() {
                // The fix: someone inserted meanwhile; start over.
                self.unlock_tree(guard);
                continue;
            }
            let new = ENTRY | LOCKED | EMPTY | if pmd_request { PMD } else { 0 };
            let inserted = self.radix_tree_insert(index, new);
            self.unlock_tree(guard);
            match inserted {
                Ok(()) => return Ok(new),
                // v4.11-rc5 restarts only a 4 KiB request; for a PMD request -EEXIST is
                // ambiguous and the fault falls back.
                Err(Eexist) if self.k.variant == Variant::Unfixed && !pmd_request => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// get_unlocked_mapping_entry(), with tree_lock held: while the entry is locked, sleep
    /// exclusively on its wait queue and look again.
    fn get_unlocked_mapping_entry<'g>(
        &'g self,
        index: Index,
        mut guard: MutexGuard<'g, ()>,
    ) -> (Option<u64>, MutexGuard<'g, ()>) {
        loop {
            match self.lookup(index) {
                Some(e) if e & LOCKED != 0 => {
                    self.prepare_to_wait_exclusive();
                    self.unlock_tree(guard);
                    self.schedule();
                    guard = self.lock_tree();
                }
                entry => return (entry, guard),
            }
        }
    }

    fn lookup(&self, index: Index) -> Option<u64> {
        self.op();
        let tree = self.k.tree.load(SeqCst);
        index.covering(tree).map(|s| tree >> s & SLOT_MASK)
    }

    /// __radix_tree_insert(): -EEXIST if an entry covers `index`, or, for the order-9
    /// entry, if any entry is in its range.
    fn radix_tree_insert(&self, index: Index, entry: u64) -> Result<(), Eexist> {
        self.op();
        let shift = match index {
            Index::Pmd => 0,
            Index::Page(p) => Index::page_slot(p),
        };
        self.k
            .tree
            .fetch_update(SeqCst, SeqCst, |t| {
                let taken = match index {
                    Index::Pmd => t != 0,
                    Index::Page(_) => index.covering(t).is_some(),
                };
                (!taken).then_some(t | entry << shift)
            })
            .map(|_| ())
            .map_err(|_| Eexist)
    }

    /// Rewrites the entry covering `index` (which must exist); returns the new entry.
    fn update_entry(&self, index: Index, f: impl Fn(u64) -> u64) -> u64 {
        self.op();
        let old = self
            .k
            .tree
            .fetch_update(SeqCst, SeqCst, |t| {
                let s = index.covering(t)?;
                Some(t & !(SLOT_MASK << s) | f(t >> s & SLOT_MASK) << s)
            })
            .expect("port: no entry to update");
        let s = index.covering(old).expect("checked by fetch_update");
        f(old >> s & SLOT_MASK)
    }

    fn lock_slot(&self, index: Index) -> u64 {
        self.update_entry(index, |e| e | LOCKED)
    }

    fn radix_tree_preload(&self) {
        self.op();
        self.k.preload[self.page].store(PRELOAD_SIZE, SeqCst);
    }

    /// dax_insert_mapping_entry(): an empty entry becomes one with storage (a real PMD or
    /// 4 KiB entry stays as it is: a 4 KiB fault under a PMD entry just dirties it); the
    /// write tags the page DIRTY.
    fn dax_insert_mapping_entry(&self, entry: u64, flags: u64) {
        let index = Index::Page(self.page);
        let guard = self.lock_tree();
        if entry & EMPTY != 0 {
            let found = self.lookup(index);
            assert_eq!(found, Some(entry), "WARN_ON_ONCE: the locked entry changed");
            self.update_entry(index, |_| ENTRY | LOCKED | flags);
        }
        self.op();
        self.k.tags.fetch_or(1 << self.page, SeqCst);
        self.unlock_tree(guard);
    }

    /// dax_unlock_mapping_entry(): re-look-up, clear the lock bit, wake one waiter.
    fn dax_unlock_mapping_entry(&self, index: Index) {
        let guard = self.lock_tree();
        let entry = self.lookup(index);
        assert!(entry.is_some_and(|e| e & LOCKED != 0), "unlock of an entry that is not locked");
        self.update_entry(index, |e| e & !LOCKED);
        self.unlock_tree(guard);
        self.wake_up_one();
    }

    /// prepare_to_wait_exclusive() on the key (mapping, 0x200).
    fn prepare_to_wait_exclusive(&self) {
        self.op();
        self.k.waiters.fetch_or(self.me(), SeqCst);
    }

    /// schedule(): sleep until a wake-up has taken this task off the queue.
    fn schedule(&self) {
        loop {
            self.op();
            if self.k.waiters.load(SeqCst) & self.me() == 0 {
                return;
            }
            thread::park();
        }
    }

    /// `if (waitqueue_active(wq)) __wake_up(wq, TASK_NORMAL, 1, &key)`: with two threads the
    /// only possible sleeper is the peer.
    fn wake_up_one(&self) {
        self.op();
        let peer = 1 << (1 - self.page);
        if self.k.waiters.fetch_update(SeqCst, SeqCst, |q| (q & peer != 0).then_some(q & !peer)).is_ok() {
            self.peer.unpark();
        }
    }

    /// vmf_insert_pfn_pmd(): under the PMD lock, write the huge PMD whatever the slot held.
    fn vmf_insert_pfn_pmd(&self) {
        self.op();
        let old = self.k.pmd.swap(PMD_HUGE, SeqCst);
        assert_ne!(old & PMD_KIND, PMD_TABLE, "BUG: huge PMD written over a PTE table");
    }

    /// split_huge_pmd() on a DAX vma: a huge PMD is cleared, whoever installed it.
    fn split_huge_pmd(&self) {
        self.op();
        let _ = self.k.pmd.fetch_update(SeqCst, SeqCst, |s| (s & PMD_KIND == PMD_HUGE).then_some(PMD_NONE));
    }

    /// vm_insert_mixed(): pte_alloc() (an empty slot gets a PTE table if it is still empty
    /// under the lock), then insert_pfn(), which walks into whatever the slot holds now.
    fn vm_insert_mixed(&self) {
        self.op();
        if self.k.pmd.load(SeqCst) & PMD_KIND == PMD_NONE {
            self.op();
            let _ = self.k.pmd.compare_exchange(PMD_NONE, PMD_TABLE, SeqCst, SeqCst);
        }
        self.insert_pfn_locked();
    }

    /// insert_pfn(): pte_offset_map_lock() with no check that the slot is still a table.
    fn insert_pfn_locked(&self) {
        self.op();
        let bit = self.pte_bit();
        let old = self.k.pmd.fetch_update(SeqCst, SeqCst, |s| (s & PMD_KIND == PMD_TABLE).then_some(s | bit));
        let slot = old.unwrap_or_else(|s| s);
        assert_ne!(
            slot & PMD_KIND,
            PMD_HUGE,
            "BUG: 4 KiB PTE for page {:#x} installed through a huge PMD",
            PAGES[self.page]
        );
        assert_ne!(slot & PMD_KIND, PMD_NONE, "BUG: PTE walk on an empty PMD slot");
    }
}
