//! daxlab-gui: the desktop workbench over the daxlab engine. It replays the engine to show
//! the state at any step, the race annotations and the narration; it never models the
//! kernel itself.

pub mod app;
pub mod cache;
pub mod model;
pub mod panels;
pub mod theme;

pub use app::{Action, Mode, Workbench};
