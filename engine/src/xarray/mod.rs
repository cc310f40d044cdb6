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
//! [`XArray::entries`] for display, [`XArray::verify`] for tests.
//!
//! # Locking
//!
//! Writes (stores, marks, xas_create_range) require xa_lock held, as in the kernel; reads
//! may also run under RCU alone. The data structure itself does not check this: it is
//! plain data behind the lock the caller holds. The `Cx` layer makes the lock and every
//! operation on shared nodes a scheduling point.
//!
//! # Allocation and xas_nomem
//!
//! A store that needs a node tries a GFP_NOWAIT allocation under the lock (the `nowait`
//! closure of [`XaState::store_with`] answers it). When that fails the store does nothing
//! but record -ENOMEM in the state; the caller drops xa_lock and calls
//! [`XaState::nomem`], which allocates one node (GFP_KERNEL, may sleep) and keeps it in the
//! state; the caller retakes the lock and repeats the operation, which uses that node
//! first. `nomem` returns false when there was no -ENOMEM to handle (and then drops any
//! unused node), which ends the caller's retry loop.
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

mod entry;
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

pub const XA_CHUNK_SHIFT: u8 = 6;
pub const XA_CHUNK_SIZE: usize = 1 << XA_CHUNK_SHIFT;
pub const XA_CHUNK_MASK: u64 = XA_CHUNK_SIZE as u64 - 1;
