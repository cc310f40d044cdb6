//! Colours with one meaning each, used by every panel.

use egui::Color32;

pub const EEXIST: Color32 = Color32::from_rgb(0xE5, 0x48, 0x4D);
pub const RESTART: Color32 = Color32::from_rgb(0x3D, 0xC0, 0x7A);
pub const FALLBACK: Color32 = Color32::from_rgb(0xF5, 0xA5, 0x24);
pub const BUG: Color32 = Color32::from_rgb(0xFF, 0x2E, 0x3F);
pub const COUNTERFACTUAL: Color32 = Color32::from_rgb(0xFF, 0x9A, 0x8A);
pub const LOCK: Color32 = Color32::from_rgb(0xE8, 0x83, 0x3A);
pub const WINDOW: Color32 = Color32::from_rgba_premultiplied(0x3A, 0x32, 0x04, 0x3A);
pub const WINDOW_EDGE: Color32 = Color32::from_rgb(0xF2, 0xD0, 0x2B);
pub const WAIT: Color32 = Color32::from_rgb(0x8A, 0x8F, 0x98);
pub const WAKE: Color32 = Color32::from_rgb(0x6C, 0xB4, 0xFF);
pub const HANDOFF: Color32 = Color32::from_rgb(0xC9, 0xA2, 0x7E);
pub const CHANGED: Color32 = Color32::from_rgb(0x2F, 0xD0, 0xE0);
pub const ENOMEM: Color32 = Color32::from_rgb(0xC0, 0x7C, 0xFF);
pub const MUTED: Color32 = Color32::from_rgb(0x90, 0x90, 0x98);
pub const CURSOR: Color32 = Color32::from_rgb(0xF5, 0xF5, 0xF5);

const THREADS: [Color32; 6] = [
    Color32::from_rgb(0x4C, 0x8B, 0xF5),
    Color32::from_rgb(0xB0, 0x7C, 0xFF),
    Color32::from_rgb(0x2E, 0xC4, 0xB6),
    Color32::from_rgb(0xE8, 0x6F, 0xB0),
    Color32::from_rgb(0x9C, 0xB8, 0x4A),
    Color32::from_rgb(0x7F, 0x9C, 0xC0),
];

pub fn thread(tid: usize) -> Color32 {
    THREADS[tid % THREADS.len()]
}

pub fn dim(c: Color32, alpha: u8) -> Color32 {
    Color32::from_rgba_unmultiplied(c.r(), c.g(), c.b(), alpha)
}
