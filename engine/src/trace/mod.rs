//! Events: what the model did, step by step, in a kernel engineer's vocabulary.

mod compress;
mod diff;
mod event;
mod file;
mod func;
mod kind_name;
mod old_formats;
mod render;
mod replay;
mod srcloc;
mod validate;
mod verify;
mod wire;

pub use diff::{KernelDiff, diff_kernels};
pub use event::{Event, EventKind, GrabResult, IomapResult, KeepReason, PmdTest, RestartReason, Syscall};
pub use file::{
    Annotations, Bookmark, ENGINE_VERSION, FORMAT_VERSION, MAGIC, RecordMode, Trace, TraceError, write_atomically,
};
pub use func::Func;
pub use render::{describe, entry_str, event_line, transcript};
pub use replay::{Divergence, ReplayReport, replay_trace, replay_transcript, same_event};
pub use srcloc::{Site, SrcLoc};
pub use validate::MAX_INDEX;
pub use verify::{Mismatch, Verified, verify};
