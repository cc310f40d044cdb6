//! The one table of colours with a meaning: what each [`Hue`] looks like on the
//! workbench's dark background and on the white page of a figure. The workbench's theme
//! and the figures' style take their colours from here; only neutral ink, backgrounds and
//! fills stay with each face.

/// An opaque colour.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// What a colour is drawn on.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ground {
    /// The workbench (desktop and browser).
    Dark,
    /// Figures (SVG and PNG on a white page).
    Light,
}

/// A meaning a colour carries everywhere daxlab draws.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Hue {
    Eexist,
    Enomem,
    Counterfactual,
    Restart,
    Fallback,
    Bug,
    /// Spinning or asleep.
    Wait,
    Wake,
    /// tree_lock held.
    TreeLock,
    /// A locked DAX entry.
    EntryLock,
    /// The inside of a race window.
    Window,
    /// A race window's edge, and what happens at it (the window opening, an insert in it).
    WindowEdge,
    /// A lock handed from one thread to a waiting one.
    Handoff,
    /// What the last event changed in the machine's state.
    Changed,
}

/// Every hue in declaration order: (hue, on dark, on light).
pub const PALETTE: [(Hue, Rgb, Rgb); 14] = [
    (Hue::Eexist, Rgb(0xE5, 0x48, 0x4D), Rgb(0xD6, 0x28, 0x2E)),
    (Hue::Enomem, Rgb(0xC0, 0x7C, 0xFF), Rgb(0x8E, 0x4C, 0xD8)),
    (Hue::Counterfactual, Rgb(0xFF, 0x9A, 0x8A), Rgb(0xE0, 0x6A, 0x55)),
    (Hue::Restart, Rgb(0x3D, 0xC0, 0x7A), Rgb(0x1F, 0x9A, 0x55)),
    (Hue::Fallback, Rgb(0xF5, 0xA5, 0x24), Rgb(0xD9, 0x82, 0x00)),
    (Hue::Bug, Rgb(0xFF, 0x2E, 0x3F), Rgb(0xC0, 0x00, 0x18)),
    (Hue::Wait, Rgb(0x8A, 0x8F, 0x98), Rgb(0xA8, 0xAC, 0xB4)),
    (Hue::Wake, Rgb(0x6C, 0xB4, 0xFF), Rgb(0x2F, 0x7F, 0xE0)),
    (Hue::TreeLock, Rgb(0xE8, 0x83, 0x3A), Rgb(0xE8, 0x83, 0x3A)),
    (Hue::EntryLock, Rgb(0x9A, 0x7B, 0xE0), Rgb(0x7B, 0x4F, 0xC4)),
    (Hue::Window, Rgb(0xFF, 0xDC, 0x11), Rgb(0xFF, 0xD8, 0x3A)),
    (Hue::WindowEdge, Rgb(0xF2, 0xD0, 0x2B), Rgb(0xD4, 0xA4, 0x00)),
    (Hue::Handoff, Rgb(0xC9, 0xA2, 0x7E), Rgb(0xA6, 0x80, 0x54)),
    (Hue::Changed, Rgb(0x2F, 0xD0, 0xE0), Rgb(0x00, 0xA8, 0xC0)),
];

/// Thread colours, cycled by thread id: (on dark, on light).
pub const THREADS: [(Rgb, Rgb); 6] = [
    (Rgb(0x4C, 0x8B, 0xF5), Rgb(0x2F, 0x6F, 0xDF)),
    (Rgb(0xB0, 0x7C, 0xFF), Rgb(0x8A, 0x4F, 0xE0)),
    (Rgb(0x2E, 0xC4, 0xB6), Rgb(0x14, 0x9A, 0x8C)),
    (Rgb(0xE8, 0x6F, 0xB0), Rgb(0xC8, 0x4A, 0x90)),
    (Rgb(0x9C, 0xB8, 0x4A), Rgb(0x6B, 0x8A, 0x1F)),
    (Rgb(0x7F, 0x9C, 0xC0), Rgb(0x4F, 0x6F, 0x94)),
];

const fn pick((dark, light): (Rgb, Rgb), g: Ground) -> Rgb {
    match g {
        Ground::Dark => dark,
        Ground::Light => light,
    }
}

impl Hue {
    /// The hue's colour on `g` (usable in constants).
    pub const fn rgb(self, g: Ground) -> Rgb {
        let (_, dark, light) = PALETTE[self as usize];
        pick((dark, light), g)
    }
}

/// Thread `tid`'s colour on `g`.
pub const fn thread_rgb(tid: usize, g: Ground) -> Rgb {
    pick(THREADS[tid % THREADS.len()], g)
}
