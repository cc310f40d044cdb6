//! The XArray calls fs/dax.c makes, as scheduling points on `mapping->i_pages`: the
//! xa_lock, every xa_state operation that reads or writes the array's nodes, and
//! xas_nomem()'s allocation with the lock dropped. The module documentation has the table
//! of what each models and its locking rule.

use super::{Entry, XaMark, XaRoot, XaState, XasNode, footprint};
use crate::check::{Invariant, Note};
use crate::footprint::{reads, recording, writes};
use crate::kernel::Errno;
use crate::sim::{Choice, Cx};
use crate::trace::EventKind;
use std::future::Future;
use std::panic::Location;
use std::sync::atomic::Ordering;

/// `xa_lock_irq()` / `xa_unlock_irq()`: what `xas_lock_irq(&xas)` and
/// `xas_unlock_irq(&xas)` take and drop, the array's spin lock.
impl Cx<'_> {
    #[track_caller]
    pub fn xa_lock_irq<'a>(&'a self, root: &'a XaRoot) -> impl Future<Output = ()> + 'a {
        self.spin_lock_irq(&root.xa_lock)
    }

    #[track_caller]
    pub fn xa_unlock_irq<'a>(&'a self, root: &'a XaRoot) -> impl Future<Output = ()> + 'a {
        self.spin_unlock_irq(&root.xa_lock)
    }
}

/// The xa_state operations that walk the array's nodes.
impl Cx<'_> {
    /// The scheduling point before an operation on the array, and the two rules lockdep
    /// and KASAN would enforce in the kernel: a write (`write`) needs xa_lock held by this
    /// thread (`xa_entry_locked()` asserts it); and a state walked before the lock was
    /// dropped must not be used after it is retaken if its node was freed meanwhile (a use
    /// after free; the kernel code calls xas_reset() after relocking). Either breach is a
    /// bug of the code using the array: the invariant fires and false says not to go on.
    async fn xa_op(&self, at: &'static Location<'static>, root: &XaRoot, xas: &XaState, op: &str, write: bool) -> bool {
        self.sched(at).await;
        let locked = root.xa_lock.held_by(self.tid);
        if write && !locked {
            let what = format!("{op}() without {} held", root.xa_lock.id());
            self.bug(at, Invariant::LockMisuse { what });
            return false;
        }
        if let XasNode::Node(node) = xas.xa_node()
            && locked
            && root.xa.with(|xa| xa.node_freed(node))
        {
            let what = format!(
                "{op}() on an xa_state still at node#{}, freed while {} was dropped (use after free: xas_reset() after relocking)",
                node.serial(),
                root.xa_lock.id()
            );
            self.bug(at, Invariant::LockMisuse { what });
            return false;
        }
        true
    }

    /// One GFP_NOWAIT | __GFP_NOWARN node allocation by xas_alloc() under the lock. In
    /// practice it succeeds; only a run that injects allocation failures may make it fail,
    /// [`XaRoot::NOWAIT_FAILURES`] times at most.
    fn xas_alloc_nowait(&self, root: &XaRoot) -> bool {
        if !self.k.inject_enomem {
            return true;
        }
        // The budget is the run's, shared by every thread's allocations.
        reads(footprint::nowait_budget());
        if root.nowait_failed.load(Ordering::Relaxed) >= XaRoot::NOWAIT_FAILURES {
            return true;
        }
        let fails = self.choose(Choice::XaNodeAllocFails, 2) == 1;
        if fails {
            writes(footprint::nowait_budget());
            root.nowait_failed.fetch_add(1, Ordering::Relaxed);
        }
        !fails
    }

    /// Where a state stood before an operation, kept only while footprints are recorded.
    fn from(xas: &XaState) -> Option<XaState> {
        recording().then(|| xas.clone())
    }

    /// Declares what an operation read, from where the state stood (`from`, see
    /// [`Cx::from`]) to where it left it (see [`footprint::walked`]).
    fn walked(root: &XaRoot, from: Option<XaState>, xas: &XaState, upto: Option<u64>, mark: Option<XaMark>) {
        if let Some(from) = from {
            root.xa.with(|xa| footprint::walked(xa, &from, xas, upto, mark));
        }
    }

    /// `xas_load(&xas)`. Under xa_lock or RCU.
    #[track_caller]
    pub fn xas_load<'a>(&'a self, root: &'a XaRoot, xas: &'a mut XaState) -> impl Future<Output = Option<Entry>> + 'a {
        let at = Location::caller();
        async move {
            if !self.xa_op(at, root, xas, "xas_load", false).await {
                return None;
            }
            let from = Self::from(xas);
            let entry = root.xa.with(|xa| xas.load(xa));
            Self::walked(root, from, xas, None, None);
            let (index, order) = (xas.xa_index(), xas.order());
            self.emit(at, || EventKind::XasLoad { index, order, entry });
            entry
        }
    }

    /// `xas_find_conflict(&xas)` (one turn of `xas_for_each_conflict`). Under xa_lock.
    #[track_caller]
    pub fn xas_find_conflict<'a>(
        &'a self,
        root: &'a XaRoot,
        xas: &'a mut XaState,
    ) -> impl Future<Output = Option<Entry>> + 'a {
        let at = Location::caller();
        async move {
            if !self.xa_op(at, root, xas, "xas_find_conflict", false).await {
                return None;
            }
            let from = Self::from(xas);
            let entry = root.xa.with(|xa| xas.find_conflict(xa));
            Self::walked(root, from, xas, None, None);
            let (index, order) = (xas.xa_index(), xas.order());
            self.emit(at, || EventKind::XasFindConflict { index, order, entry });
            entry
        }
    }

    /// `xas_store(&xas, entry)`. Under xa_lock. A node it needs comes from xas_nomem()'s
    /// earlier allocation if there is one, else from a GFP_NOWAIT allocation that an
    /// injected failure can refuse: the store then does nothing but leave -ENOMEM in the
    /// state, for the caller's xas_nomem() loop.
    #[track_caller]
    pub fn xas_store<'a>(
        &'a self,
        root: &'a XaRoot,
        xas: &'a mut XaState,
        entry: Option<Entry>,
    ) -> impl Future<Output = Option<Entry>> + 'a {
        let at = Location::caller();
        async move {
            if !self.xa_op(at, root, xas, "xas_store", true).await {
                return None;
            }
            let before = xas.clone();
            let mut nodes = 0u32;
            let mut nowait = || {
                let ok = self.xas_alloc_nowait(root);
                nodes += u32::from(ok);
                ok
            };
            let from = Self::from(xas);
            let old = root.xa.with(|xa| xas.store_with(xa, entry, &mut nowait));
            Self::walked(root, from, xas, None, None);
            let err = xas.error();
            self.emit(at, || EventKind::XasStore { xas: before, entry, old, nodes, err });
            old
        }
    }

    /// `xas_create_range(&xas)`. Under xa_lock; allocates as xas_store() does.
    #[track_caller]
    pub fn xas_create_range<'a>(&'a self, root: &'a XaRoot, xas: &'a mut XaState) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            if !self.xa_op(at, root, xas, "xas_create_range", true).await {
                return;
            }
            let before = xas.clone();
            let mut nodes = 0u32;
            let mut nowait = || {
                let ok = self.xas_alloc_nowait(root);
                nodes += u32::from(ok);
                ok
            };
            let from = Self::from(xas);
            root.xa.with(|xa| xas.create_range_with(xa, &mut nowait));
            Self::walked(root, from, xas, None, None);
            let err = xas.error();
            self.emit(at, || EventKind::XasCreateRange { xas: before, nodes, err });
        }
    }

    /// `xas_nomem(&xas, gfp)`, with xa_lock dropped: true means "memory was needed and is
    /// now there, retake the lock and retry". Only when the state holds -ENOMEM does it
    /// allocate — a sleeping allocation (a scheduling point, and a bug under a spin lock)
    /// that an injected failure can refuse (false, -ENOMEM stays: the caller's
    /// VM_FAULT_OOM). Otherwise it only drops an unused node from this thread's state.
    #[track_caller]
    pub fn xas_nomem<'a>(&'a self, xas: &'a mut XaState) -> impl Future<Output = bool> + 'a {
        let at = Location::caller();
        async move {
            if xas.error() != Some(Errno::Enomem) {
                // Nothing to allocate (the closure is not asked): xas_destroy() forgets
                // any node this thread's state kept, and the caller's loop ends.
                return xas.nomem(|| false);
            }
            self.might_sleep(at);
            self.sched(at).await;
            let ok = xas.nomem(|| !(self.k.inject_enomem && self.choose(Choice::XasNomemFails, 2) == 1));
            let index = xas.xa_index();
            self.emit(at, || EventKind::XasNomem { index, ok });
            if !ok {
                self.note(Note::Enomem);
            }
            ok
        }
    }

    /// `xas_pause(&xas)`, before dropping the lock inside a walk. Under xa_lock or RCU.
    #[track_caller]
    pub fn xas_pause<'a>(&'a self, root: &'a XaRoot, xas: &'a mut XaState) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            if !self.xa_op(at, root, xas, "xas_pause", false).await {
                return;
            }
            let (index, from) = (xas.xa_index(), Self::from(xas));
            root.xa.with(|xa| xas.pause(xa));
            Self::walked(root, from, xas, None, None);
            let next = xas.xa_index();
            self.emit(at, || EventKind::XasPause { index, next });
        }
    }

    /// `xas_find(&xas, max)`: the first step of `xas_for_each`. Under xa_lock or RCU.
    #[track_caller]
    pub fn xas_find<'a>(
        &'a self,
        root: &'a XaRoot,
        xas: &'a mut XaState,
        max: u64,
    ) -> impl Future<Output = Option<Entry>> + 'a {
        self.xas_walk(root, xas, max, None, false, Location::caller())
    }

    /// `xas_next_entry(&xas, max)`: each later step of `xas_for_each`.
    #[track_caller]
    pub fn xas_next_entry<'a>(
        &'a self,
        root: &'a XaRoot,
        xas: &'a mut XaState,
        max: u64,
    ) -> impl Future<Output = Option<Entry>> + 'a {
        self.xas_walk(root, xas, max, None, true, Location::caller())
    }

    /// `xas_find_marked(&xas, max, mark)`: the first step of `xas_for_each_marked`.
    #[track_caller]
    pub fn xas_find_marked<'a>(
        &'a self,
        root: &'a XaRoot,
        xas: &'a mut XaState,
        max: u64,
        mark: XaMark,
    ) -> impl Future<Output = Option<Entry>> + 'a {
        self.xas_walk(root, xas, max, Some(mark), false, Location::caller())
    }

    /// `xas_next_marked(&xas, max, mark)`: each later step of `xas_for_each_marked`.
    #[track_caller]
    pub fn xas_next_marked<'a>(
        &'a self,
        root: &'a XaRoot,
        xas: &'a mut XaState,
        max: u64,
        mark: XaMark,
    ) -> impl Future<Output = Option<Entry>> + 'a {
        self.xas_walk(root, xas, max, Some(mark), true, Location::caller())
    }

    async fn xas_walk(
        &self,
        root: &XaRoot,
        xas: &mut XaState,
        max: u64,
        mark: Option<XaMark>,
        next: bool,
        at: &'static Location<'static>,
    ) -> Option<Entry> {
        let op = match (mark, next) {
            (None, false) => "xas_find",
            (None, true) => "xas_next_entry",
            (Some(_), false) => "xas_find_marked",
            (Some(_), true) => "xas_next_marked",
        };
        if !self.xa_op(at, root, xas, op, false).await {
            return None;
        }
        let from = Self::from(xas);
        let entry = root.xa.with(|xa| match (mark, next) {
            (None, false) => xas.find(xa, max),
            (None, true) => xas.next_entry(xa, max),
            (Some(m), false) => xas.find_marked(xa, max, m),
            (Some(m), true) => xas.next_marked(xa, max, m),
        });
        Self::walked(root, from, xas, entry.is_none().then_some(max), mark);
        let index = xas.xa_index();
        self.emit(at, || match mark {
            None => EventKind::XasFind { index, max, entry },
            Some(mark) => EventKind::XasFindMarked { index, max, mark, entry },
        });
        entry
    }

    /// `xas_set_mark(&xas, mark)`. Under xa_lock.
    #[track_caller]
    pub fn xas_set_mark<'a>(
        &'a self,
        root: &'a XaRoot,
        xas: &'a XaState,
        mark: XaMark,
    ) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            if self.xa_op(at, root, xas, "xas_set_mark", true).await {
                Self::walked(root, Self::from(xas), xas, None, None);
                root.xa.with(|xa| xas.set_mark(xa, mark));
                self.emit(at, || EventKind::XasSetMark { xas: xas.clone(), mark });
            }
        }
    }

    /// `xas_clear_mark(&xas, mark)`. Under xa_lock.
    #[track_caller]
    pub fn xas_clear_mark<'a>(
        &'a self,
        root: &'a XaRoot,
        xas: &'a XaState,
        mark: XaMark,
    ) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            if self.xa_op(at, root, xas, "xas_clear_mark", true).await {
                Self::walked(root, Self::from(xas), xas, None, None);
                root.xa.with(|xa| xas.clear_mark(xa, mark));
                self.emit(at, || EventKind::XasClearMark { xas: xas.clone(), mark });
            }
        }
    }

    /// `xas_get_mark(&xas, mark)`. Under xa_lock or RCU.
    #[track_caller]
    pub fn xas_get_mark<'a>(
        &'a self,
        root: &'a XaRoot,
        xas: &'a XaState,
        mark: XaMark,
    ) -> impl Future<Output = bool> + 'a {
        let at = Location::caller();
        async move {
            if !self.xa_op(at, root, xas, "xas_get_mark", false).await {
                return false;
            }
            Self::walked(root, Self::from(xas), xas, None, Some(mark));
            let set = root.xa.with(|xa| xas.get_mark(xa, mark));
            let index = xas.xa_index();
            self.emit(at, || EventKind::XasGetMark { index, mark, set });
            set
        }
    }
}
