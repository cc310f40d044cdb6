//! daxlab-gui: the desktop workbench over the daxlab engine. It replays the engine to show
//! the state at any step, the race annotations and the narration; it never models the
//! kernel itself.

pub mod app;
pub mod cache;
pub mod model;
pub mod panels;
pub mod theme;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use app::{Action, Mode, Workbench};

/// Prepares a context for the workbench: the dark theme (the palette in `theme` is chosen
/// for a dark background, and the browser would otherwise follow the system's light one),
/// and proportional text that falls back to the monospace font for the arrows and
/// box-drawing characters the narration uses (the default proportional font lacks them).
pub fn setup_context(ctx: &egui::Context) {
    ctx.set_theme(egui::Theme::Dark);
    let mut defs = egui::FontDefinitions::default();
    if let Some(p) = defs.families.get_mut(&egui::FontFamily::Proportional) {
        p.insert(1.min(p.len()), "Hack".to_owned());
    }
    ctx.set_fonts(defs);
}
