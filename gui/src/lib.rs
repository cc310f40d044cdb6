//! daxlab-gui: the desktop workbench over the daxlab engine. It replays the engine to show
//! the state at any step, the race annotations and the narration; it never models the
//! kernel itself.

pub mod app;
pub mod cache;
pub mod model;
pub mod panels;
pub mod theme;

pub use app::{Action, Mode, Workbench};

/// Lets proportional text fall back to the monospace font for the arrows and box-drawing
/// characters the narration uses (the default proportional font lacks them).
pub fn setup_fonts(ctx: &egui::Context) {
    let mut defs = egui::FontDefinitions::default();
    if let Some(p) = defs.families.get_mut(&egui::FontFamily::Proportional) {
        p.insert(1.min(p.len()), "Hack".to_owned());
    }
    ctx.set_fonts(defs);
}
