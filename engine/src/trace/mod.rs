//! Events: what the model did, step by step, in a kernel engineer's vocabulary.

mod event;
mod render;

pub use event::{Event, EventKind, RestartReason, SrcLoc};
pub use render::{describe, entry_str};
