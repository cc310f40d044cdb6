//! Invariants (the kernel's BUG/WARN equivalents), benign notes, the bookkeeping the data
//! checks need, and the outcome class every execution ends in. The model calls these
//! (`cx.bug(..)`, `cx.warn(..)`, `cx.note(..)`) as it runs. Judging a finished machine reads every room
//! of it, so that is done above the kernel model, by the run (`scenario/classify.rs`).

mod cx;
mod invariant;
mod on_warn;
mod outcome;

pub use invariant::{Invariant, Note};
pub use on_warn::OnWarn;
pub use outcome::{Observations, Outcome, Stored};
