//! lib/xarray.c as fs/dax.c uses it from v4.20 on (`mapping->i_pages`), with
//! CONFIG_XARRAY_MULTI: 64-slot nodes, multi-index entries stored as a canonical slot plus
//! sibling slots, value entries, the three marks, and the advanced API on an `xa_state`.
//!
//! # The data structure
//!
//! [`XArray`] is `struct xarray`: a head and a tree of nodes (`struct xa_node`: `shift`,
//! `offset`, `count`, `nr_values`, `parent`, 64 slots, a bitmap per mark). An entry of
//! order n is stored at the level `n - n % 6` as one canonical slot and `2^(n % 6) - 1`
//! sibling slots: a PMD entry (order 9) is 8 slots of a shift-6 node, each covering 64
//! indices. Every DAX entry is a value entry ([`xa_mk_value`]); [`Entry`] also has the
//! internal entries a walker can meet (sibling, node, retry, zero), each printed with the
//! kernel's encoding. Nodes are allocated as stores need them and freed when they empty
//! (the array shrinks back to the head); a freed node is never reused, so a walker still
//! holding one reads the retry entries the kernel leaves for RCU readers.
//!
//! [`XaState`] is `struct xa_state`, and its methods are the `xas_*` functions:
//!
//! | method | models | |
//! |---|---|---|
//! | [`XaState::new`], [`XaState::new_order`] | `XA_STATE`, `XA_STATE_ORDER` | |
//! | [`set`](XaState::set), [`set_order`](XaState::set_order), [`reset`](XaState::reset) | `xas_set`, `xas_set_order`, `xas_reset` | walk again from the head |
//! | [`load`](XaState::load) | `xas_load` | read |
//! | [`find_conflict`](XaState::find_conflict) | `xas_find_conflict` (`xas_for_each_conflict`) | read |
//! | [`store`](XaState::store) / [`store_with`](XaState::store_with) | `xas_store` | write; may allocate |
//! | [`create_range`](XaState::create_range) / [`create_range_with`](XaState::create_range_with) | `xas_create_range` | write; may allocate |
//! | [`nomem`](XaState::nomem) | `xas_nomem` | allocates, lock dropped |
//! | [`pause`](XaState::pause) | `xas_pause` | read |
//! | [`find`](XaState::find), [`next_entry`](XaState::next_entry) | `xas_find`, `xas_next_entry` (`xas_for_each`) | read |
//! | [`find_marked`](XaState::find_marked), [`next_marked`](XaState::next_marked) | `xas_find_marked`, `xas_next_marked` (`xas_for_each_marked`) | read |
//! | [`set_mark`](XaState::set_mark), [`clear_mark`](XaState::clear_mark), [`get_mark`](XaState::get_mark), [`init_marks`](XaState::init_marks) | `xas_set_mark`, `xas_clear_mark`, `xas_get_mark`, `xas_init_marks` | write / read |
//! | [`retry`](XaState::retry), [`error`](XaState::error), [`set_err`](XaState::set_err), [`invalid`](XaState::invalid) | `xas_retry`, `xas_error`, `xas_set_err`, `xas_invalid` | the state only |
//!
//! and on the array: [`XArray::xa_load`] (`xa_load`, an RCU reader), [`XArray::xa_marked`]
//! (`xa_marked`, what `mapping_tagged()` asks), [`XArray::xa_empty`], [`XArray::view`] and
//! [`XArray::entries`] for display, [`XArray::verify`] for tests. These are plain data
//! operations, with no lock and no scheduling: the kernel runs them under the lock (or
//! RCU) the section below models.
//!
//! # The calls fs/dax.c makes: `cx.rs`
//!
//! The array of a mapping is an [`XaRoot`]: the data and its `xa_lock`, a spin lock named
//! `xa_lock(i_pages)` ([`LockId::IPages`]). Kernel code in the model calls the operations
//! on the context, each an `.await` that is a **scheduling point** (another CPU may run
//! before it) and records an event at the caller's line:
//!
//! | `cx.` | models | lock | event |
//! |---|---|---|---|
//! | `xa_lock_irq(&root)`, `xa_unlock_irq(&root)` | `xas_lock_irq(&xas)`, `xas_unlock_irq(&xas)` | takes / drops it | `lock_acquire`, `lock_release` |
//! | `xas_load(&root, &mut xas)` | `xas_load` | xa_lock or RCU | `xas_load` |
//! | `xas_find_conflict(&root, &mut xas)` | `xas_find_conflict` | xa_lock | `xas_find_conflict` |
//! | `xas_store(&root, &mut xas, entry)` | `xas_store` | xa_lock | `xas_store` |
//! | `xas_create_range(&root, &mut xas)` | `xas_create_range` | xa_lock | `xas_create_range` |
//! | `xas_nomem(&mut xas)` | `xas_nomem` | **dropped** (it may sleep) | `xas_nomem` |
//! | `xas_pause(&root, &mut xas)` | `xas_pause` | xa_lock or RCU | `xas_pause` |
//! | `xas_find`, `xas_next_entry` | `xas_for_each` | xa_lock or RCU | `xas_find` |
//! | `xas_find_marked`, `xas_next_marked` | `xas_for_each_marked` | xa_lock or RCU | `xas_find_marked` |
//! | `xas_set_mark`, `xas_clear_mark` | the same | xa_lock | `xas_set_mark`, `xas_clear_mark` |
//! | `xas_get_mark` | the same | xa_lock or RCU | `xas_get_mark` |
//!
//! What is not a scheduling point: the operations that only change the caller's own
//! xa_state — [`XaState::new`] / `new_order` (`XA_STATE` / `XA_STATE_ORDER`), `set`,
//! `set_order`, `reset`, `set_err`, `error`, `invalid`, `retry` — which are plain methods;
//! and `cx.xas_nomem()` when the state holds no -ENOMEM (it only forgets an unused node).
//!
//! Two rules are checked as the kernel's lockdep and KASAN would: a write without xa_lock
//! held by the thread, and any operation under xa_lock on a state still pointing at a node
//! freed while the lock was dropped (a use after free: kernel code calls xas_reset() after
//! relocking), fire `bug(lock-misuse)`. Calling `xas_nomem` with the lock held fires
//! `bug(sleep-in-atomic)`.
//!
//! Allocation failures are injectable where the kernel's can fail, when the scenario allows
//! it (`inject_enomem`): a GFP_NOWAIT node allocation under the lock, at most
//! [`XaRoot::NOWAIT_FAILURES`] per run ([`Choice::XaNodeAllocFails`](crate::sim::Choice::XaNodeAllocFails): the
//! operation leaves -ENOMEM in the state) and xas_nomem()'s allocation
//! ([`Choice::XasNomemFails`](crate::sim::Choice::XasNomemFails): it returns false, the
//! caller's VM_FAULT_OOM). The kernel's retry loop then reads like the C:
//!
//! ```text
//! let mut xas = XaState::new_order(index, order);
//! loop {
//!     cx.xa_lock_irq(&mapping.i_pages).await;
//!     let entry = cx.xas_find_conflict(&mapping.i_pages, &mut xas).await;
//!     // ...
//!     cx.xas_store(&mapping.i_pages, &mut xas, Some(xa_mk_value(locked))).await;
//!     cx.xa_unlock_irq(&mapping.i_pages).await;
//!     if !cx.xas_nomem(&mut xas).await {
//!         break;
//!     }
//! }
//! ```
//!
//! Each event that changes the array (`xas_store`, `xas_create_range`, `xas_set_mark`,
//! `xas_clear_mark`) carries the xa_state as it was and the allocations' answers, so that
//! the array at any step of a trace can be rebuilt by applying them again with the same
//! data structure.
//!
//! # Kernel versions
//!
//! The lib/xarray.c of v4.20 is the base; an array made with [`XArray::with_fixes`] behaves
//! as a later release's, with the fixes in [`XaFixes`] that change what fs/dax.c can see
//! ([`XArray::new`] has them all). Other lib/xarray.c changes of the era touch paths DAX
//! never takes (xa_find_after(), xas_next(), xas_split(), RCU-only races in
//! xas_find_marked()) and are not modelled; xas_find()'s early return for a start already
//! past `max`, added after v4.20, is always there (no DAX walk starts past its end).
//!
//! Marks are `xa_mark_t` ([`XaMark`]); the page cache's tags are
//! [`PAGECACHE_TAG_DIRTY`] (XA_MARK_0), [`PAGECACHE_TAG_WRITEBACK`] (XA_MARK_1) and
//! [`PAGECACHE_TAG_TOWRITE`] (XA_MARK_2), as include/linux/fs.h defines them.

mod cx;
mod entry;
pub(crate) mod footprint;
mod iter;
mod marks;
mod node;
mod state;
mod store;
mod view;
mod walk;

pub use entry::{
    Entry, NodeRef, xa_is_internal, xa_is_node, xa_is_retry, xa_is_sibling, xa_is_value, xa_is_zero, xa_mk_value,
    xa_to_value,
};
pub use marks::{
    PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE, PAGECACHE_TAG_WRITEBACK, XA_MARK_0, XA_MARK_1, XA_MARK_2, XA_MARK_MAX,
    XA_MAX_MARKS, XaMark,
};
pub use node::{Corruption, XArray, XaFixes};
pub use state::{XaState, XasNode};
pub use view::{EntryView, NodeView, XaView};

use crate::kernel::{LockId, Shared, SpinLock};
use std::sync::atomic::AtomicU32;

/// `struct xarray` with its `xa_lock`, as the page cache embeds it in every mapping
/// (`mapping->i_pages`, hence the lock's name [`LockId::IPages`]). The array sits behind
/// [`Shared`] only for Rust's memory safety; the kernel's lock is `xa_lock`, a spin lock the
/// scheduler sees.
#[derive(Debug)]
pub struct XaRoot {
    pub xa_lock: SpinLock,
    pub xa: Shared<XArray>,
    /// How many GFP_NOWAIT failures this run injected so far (see
    /// [`XaRoot::NOWAIT_FAILURES`]).
    pub(crate) nowait_failed: AtomicU32,
}

impl XaRoot {
    /// The most GFP_NOWAIT node allocations one run may fail by injection: two, as a store
    /// may need two nodes (a leaf under a shift-6 root) and each may fail once. The kernel
    /// could fail any number, but a retry loop that frees and needs a node again (as
    /// grab_mapping_entry() before 1a14e3779dd5 does) would then offer a failure at every
    /// turn and the search would never end.
    pub const NOWAIT_FAILURES: u32 = 2;

    pub fn new(fixes: XaFixes) -> Self {
        XaRoot {
            xa_lock: SpinLock::new(LockId::IPages),
            xa: Shared::new(XArray::with_fixes(fixes)),
            nowait_failed: AtomicU32::new(0),
        }
    }
}

pub const XA_CHUNK_SHIFT: u8 = 6;
pub const XA_CHUNK_SIZE: usize = 1 << XA_CHUNK_SHIFT;
pub const XA_CHUNK_MASK: u64 = XA_CHUNK_SIZE as u64 - 1;
