//! Events: what the model did, step by step, in a kernel engineer's vocabulary.

mod event;
mod render;

pub use event::{Event, EventKind, KeepReason, RestartReason, SrcLoc, Syscall};
pub use render::{describe, entry_str};
