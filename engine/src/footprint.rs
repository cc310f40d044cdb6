//! Footprints: which objects of the machine a scheduling step reads and writes.
//!
//! Partial-order reduction needs to know when two steps of different threads commute. The
//! kernel model declares what it touches where it touches it: the radix tree, the locks,
//! the wait table, task state and struct pages in their own methods, everything else in the
//! operation that does it ([`reads`], [`writes`], [`adds`]). A step's footprint is then
//! whatever it declared between two scheduling points, so a step split finer later carries
//! the right footprints with no further work. Two steps are independent when no object is
//! touched by both with a write among the two (reads commute, and so do two additions to one
//! counter).
//!
//! The deterministic executor gathers declarations on its own thread, and only for a
//! scheduler that asks ([`Recorder`]); otherwise a declaration costs a thread-local flag
//! test. A leaf like the event vocabulary: every layer may declare.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;

/// The kinds of object a step can touch. An [`Obj`] is a kind, a space (which instance:
/// which lock, which process's page tables, which bucket) and an inclusive range inside it,
/// so that a multi-order entry or a store over several bytes is one declaration.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum ObjKind {
    /// A spin lock or rw-semaphore word; space = the lock.
    Lock,
    /// Entries of the file's page-cache index space (radix-tree or XArray slots); range of
    /// page indices.
    MappingEntry,
    /// One tag's bits over the page-cache index space; space = the tag.
    MappingTag,
    /// The shape of the page-cache tree: nodes allocated or freed, the height. The radix
    /// tree declares a change of shape as a write of the whole space; the XArray declares
    /// the indices the node allocated or freed covers (its head: all of them), and every
    /// walk reads the nodes over the indices it walks to.
    MappingNodes,
    /// address_space counters (nrexceptional, nrpages); space = which counter. Space 2 is
    /// the run's budget of injected XArray node allocation failures, which every thread's
    /// allocation under xa_lock consults.
    MappingCounter,
    /// The count of present slots of one XArray node, which decides when the node is freed;
    /// space = the node's shift, index = the first index it covers. Filling a slot adds to
    /// it (fills commute), emptying one writes it.
    MappingNodeCount,
    /// PMD slots of one process's page tables; space = mm, range of PMD indices.
    Pmd,
    /// PTEs of one process's page tables; space = mm, range of virtual page numbers.
    Pte,
    /// One process's page-table counters (rss, nr_ptes); space = mm.
    MmCounter,
    /// Bytes of persistent memory; range of media offsets.
    Pmem,
    /// The inode's extent map; range of file page indices.
    Extents,
    /// The filesystem's block allocator (which blocks the next allocation returns).
    BlockAlloc,
    /// The inode's i_size.
    ISize,
    /// One struct page (lock bit, count, mapping, contents); space = page number.
    Page,
    /// The page allocator (which page number the next allocation returns); space 1: the
    /// XArray's node cache (which node number the next xa_node gets).
    PageAlloc,
    /// One hashed wait queue of the DAX wait table; space = bucket.
    WaitBucket,
    /// A task's state word (running or asleep), which wake-ups write; space = thread.
    TaskState,
    /// Per-task and per-CPU state only its own thread uses today (preemption count, the
    /// radix-tree preload pool); space = thread.
    TaskLocal,
    /// The checker's record of what a completed store left at a file offset; range of
    /// file offsets.
    Expected,
    /// The checker's record of the WARNs a run went on past (`on_warn = "continue"`).
    Warnings,
    /// Whether a thread may run, as the executor sees it; space = thread. The executor
    /// declares it: a step that wakes a thread (a lock released, a sleeper woken) writes
    /// it, the woken thread's next step reads it. So a wake-up is ordered before what it
    /// made possible even when the two touch nothing else in common.
    Runnable,
    /// Everything: what the executor charges a step that declared nothing at all (model
    /// code no one taught to declare yet), so that it is dependent with every other step.
    /// Sound by default: an undeclared step costs reduction, never an outcome.
    Everything,
}

/// One object, or a contiguous run of objects of one kind and space.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Obj {
    pub kind: ObjKind,
    pub space: u32,
    pub lo: u64,
    /// Inclusive.
    pub hi: u64,
}

impl Obj {
    pub const fn at(kind: ObjKind, space: u32, index: u64) -> Self {
        Obj { kind, space, lo: index, hi: index }
    }

    /// `len` objects from `lo` (at least one).
    pub const fn span(kind: ObjKind, space: u32, lo: u64, len: u64) -> Self {
        let len = if len == 0 { 1 } else { len };
        Obj { kind, space, lo, hi: lo.saturating_add(len - 1) }
    }

    /// Every object of the kind in the space (the conservative choice when exactness is
    /// hard, e.g. a change of a tree's shape).
    pub const fn all(kind: ObjKind, space: u32) -> Self {
        Obj { kind, space, lo: 0, hi: u64::MAX }
    }

    pub fn overlaps(&self, other: &Obj) -> bool {
        if self.kind == ObjKind::Everything || other.kind == ObjKind::Everything {
            return true;
        }
        self.kind == other.kind && self.space == other.space && self.lo <= other.hi && other.lo <= self.hi
    }

    /// Whether this covers every object `other` names.
    pub fn covers(&self, other: &Obj) -> bool {
        self.kind == other.kind && self.space == other.space && self.lo <= other.lo && other.hi <= self.hi
    }
}

/// How a step touches an object.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Mode {
    Read,
    /// An addition to a counter nobody reads during the run (an rss count): additions
    /// commute with each other, not with reads or writes.
    Add,
    Write,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Access {
    pub obj: Obj,
    pub mode: Mode,
}

impl Access {
    /// What a step that declared nothing touches (see [`ObjKind::Everything`]).
    pub const UNDECLARED: Access = Access { obj: Obj::all(ObjKind::Everything, 0), mode: Mode::Write };

    pub fn conflicts(&self, other: &Access) -> bool {
        let commute = matches!((self.mode, other.mode), (Mode::Read, Mode::Read) | (Mode::Add, Mode::Add));
        !commute && self.obj.overlaps(&other.obj)
    }
}

/// Whether any access of `a` conflicts with any access of `b`.
pub fn footprints_conflict(a: &[Access], b: &[Access]) -> bool {
    a.iter().any(|x| b.iter().any(|y| x.conflicts(y)))
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            Mode::Read => "R",
            Mode::Add => "A",
            Mode::Write => "W",
        };
        let o = &self.obj;
        if o.lo == o.hi {
            write!(f, "{mode} {:?}#{}[{:#x}]", o.kind, o.space, o.lo)
        } else {
            write!(f, "{mode} {:?}#{}[{:#x}..={:#x}]", o.kind, o.space, o.lo, o.hi)
        }
    }
}

thread_local! {
    static RECORDING: Cell<bool> = const { Cell::new(false) };
    static STEP: RefCell<Vec<Access>> = const { RefCell::new(Vec::new()) };
    /// The step running now declared something (possibly [`nothing`]).
    static DECLARED: Cell<bool> = const { Cell::new(false) };
}

/// The step running now touches `obj` as `mode` (a no-op unless a [`Recorder`] is on).
#[inline]
pub fn touch(obj: Obj, mode: Mode) {
    if RECORDING.get() {
        DECLARED.set(true);
        STEP.with_borrow_mut(|s| s.push(Access { obj, mode }));
    }
}

/// The step running now touches no shared object at this point (a pure scheduling point,
/// an event only the trace sees). Without any declaration a step is dependent with every
/// other ([`ObjKind::Everything`]); this says it was considered, not forgotten.
#[inline]
pub fn nothing() {
    if RECORDING.get() {
        DECLARED.set(true);
    }
}

/// Whether declarations are being collected now: for the rare declaration that costs a
/// look at the machine to make.
#[inline]
pub fn recording() -> bool {
    RECORDING.get()
}

#[inline]
pub fn reads(obj: Obj) {
    touch(obj, Mode::Read)
}

#[inline]
pub fn writes(obj: Obj) {
    touch(obj, Mode::Write)
}

/// An addition to a counter nobody reads during the run (see [`Mode::Add`]).
#[inline]
pub fn adds(obj: Obj) {
    touch(obj, Mode::Add)
}

/// Collects this thread's declarations while it lives: the executor holds one for a run
/// whose scheduler wants footprints, and moves each step's declarations out after the step.
pub struct Recorder {
    /// Declarations go to a thread-local buffer: the recorder must stay on its thread.
    _on_this_thread: PhantomData<*const ()>,
}

impl Recorder {
    pub fn start() -> Self {
        STEP.with_borrow_mut(Vec::clear);
        DECLARED.set(false);
        RECORDING.set(true);
        Recorder { _on_this_thread: PhantomData }
    }

    /// Moves what was declared since the last call into `into` (cleared first); if nothing
    /// at all was declared, not even [`nothing`], `into` holds [`Access::UNDECLARED`].
    pub fn take(&self, into: &mut Vec<Access>) {
        into.clear();
        STEP.with_borrow_mut(|s| into.append(s));
        if !DECLARED.replace(false) {
            into.push(Access::UNDECLARED);
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        RECORDING.set(false);
        DECLARED.set(false);
        STEP.with_borrow_mut(Vec::clear);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(kind: ObjKind, lo: u64, hi: u64, mode: Mode) -> Access {
        Access { obj: Obj { kind, space: 0, lo, hi }, mode }
    }

    #[test]
    fn reads_and_additions_commute_among_themselves_only() {
        let r = acc(ObjKind::Pmem, 0, 7, Mode::Read);
        let a = acc(ObjKind::Pmem, 0, 7, Mode::Add);
        let w = acc(ObjKind::Pmem, 4, 4, Mode::Write);
        assert!(!r.conflicts(&r) && !a.conflicts(&a));
        assert!(r.conflicts(&a) && r.conflicts(&w) && a.conflicts(&w) && w.conflicts(&w));
    }

    #[test]
    fn ranges_conflict_only_where_they_overlap() {
        let pmd_entry = acc(ObjKind::MappingEntry, 0x200, 0x3ff, Mode::Write);
        assert!(pmd_entry.conflicts(&acc(ObjKind::MappingEntry, 0x2a0, 0x2a0, Mode::Read)));
        assert!(!pmd_entry.conflicts(&acc(ObjKind::MappingEntry, 0x400, 0x400, Mode::Write)));
        assert!(!pmd_entry.conflicts(&acc(ObjKind::MappingTag, 0x200, 0x200, Mode::Write)));
        let other_space = Access { obj: Obj { space: 1, ..pmd_entry.obj }, mode: Mode::Write };
        assert!(!pmd_entry.conflicts(&other_space));
    }

    #[test]
    fn a_step_that_declares_nothing_conflicts_with_everything() {
        let r = Recorder::start();
        let mut step = Vec::new();
        r.take(&mut step);
        assert_eq!(step, [Access::UNDECLARED]);
        let read = acc(ObjKind::TaskLocal, 3, 3, Mode::Read);
        assert!(Access::UNDECLARED.conflicts(&read) && read.conflicts(&Access::UNDECLARED));
        nothing();
        r.take(&mut step);
        assert!(step.is_empty(), "nothing() is a declaration");
        reads(read.obj);
        r.take(&mut step);
        assert_eq!(step, [read]);
    }
}
