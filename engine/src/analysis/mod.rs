//! Annotations over a trace, computed once and used by the CLI, the GUI and the docs: the
//! kernel state at any step, race windows, -EEXIST points and their counterfactuals,
//! fallbacks, wake-ups, and a narration of every step.

mod annotate;
mod class;
mod narrate;
pub mod palette;
mod perfetto;
mod state;
mod state_text;
mod timeline;

pub use annotate::{Analysis, EexistKind, EexistPoint, Handoff, Intrusion, RaceWindow, WakeUp, analyze};
pub use class::EventClass;
pub use narrate::{narrate, worth_telling};
pub use perfetto::to_perfetto;
pub use state::{Snapshot, SnapshotDigest, TaskView};
pub use state_text::describe_state;
pub use timeline::Timeline;
