//! The workbench's side of the palette (daxlab::analysis::palette, on a dark background),
//! plus the neutral greys only the workbench uses.

use daxlab::analysis::EventClass;
use daxlab::analysis::palette::{Ground, Hue, Rgb, thread_rgb};
use egui::Color32;

const fn dark(h: Hue) -> Color32 {
    let Rgb(r, g, b) = h.rgb(Ground::Dark);
    Color32::from_rgb(r, g, b)
}

pub const EEXIST: Color32 = dark(Hue::Eexist);
pub const RESTART: Color32 = dark(Hue::Restart);
pub const FALLBACK: Color32 = dark(Hue::Fallback);
pub const BUG: Color32 = dark(Hue::Bug);
pub const COUNTERFACTUAL: Color32 = dark(Hue::Counterfactual);
pub const LOCK: Color32 = dark(Hue::TreeLock);
pub const WINDOW: Color32 = {
    let Rgb(r, g, b) = Hue::Window.rgb(Ground::Dark);
    Color32::from_rgba_unmultiplied_const(r, g, b, 0x3A)
};
pub const WINDOW_EDGE: Color32 = dark(Hue::WindowEdge);
pub const WAIT: Color32 = dark(Hue::Wait);
pub const WAKE: Color32 = dark(Hue::Wake);
pub const HANDOFF: Color32 = dark(Hue::Handoff);
pub const CHANGED: Color32 = dark(Hue::Changed);
pub const ENOMEM: Color32 = dark(Hue::Enomem);
pub const MUTED: Color32 = Color32::from_rgb(0x90, 0x90, 0x98);
pub const CURSOR: Color32 = Color32::from_rgb(0xF5, 0xF5, 0xF5);

pub fn thread(tid: usize) -> Color32 {
    let Rgb(r, g, b) = thread_rgb(tid, Ground::Dark);
    Color32::from_rgb(r, g, b)
}

/// The colour that says what an event of class `c` is (light grey for the ordinary).
pub fn class_color(c: EventClass) -> Color32 {
    c.hue().map_or(Color32::from_gray(235), dark)
}

pub fn dim(c: Color32, alpha: u8) -> Color32 {
    Color32::from_rgba_unmultiplied(c.r(), c.g(), c.b(), alpha)
}
