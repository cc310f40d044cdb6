//! The panels, one file each, and how they are laid out in the window.

pub mod challenge;
pub mod compare;
pub mod events;
pub mod explore;
pub mod freeplay;
pub mod kernel_pick;
pub mod locks;
pub mod matrix;
pub mod narration;
pub mod pagetables;
pub mod scheduler;
pub mod source;
pub mod threads;
pub mod timeline;
mod timeline_paint;
pub mod toolbar;
pub mod tree;

use crate::app::{Mode, Workbench};
use egui::Ui;

/// The frame: toolbar, narration and timeline on top, the event list on the left, the
/// mode's own panel (scheduler) on the right, and the state inspectors (or the compare
/// table, or the explorer) in the middle. The matrix has the window below the toolbar.
pub fn layout(ui: &mut Ui, app: &mut Workbench) {
    egui::Panel::top("toolbar").show(ui, |ui| toolbar::show(ui, app));
    // The matrix is about kernels, not the trace on screen: it gets the whole window.
    if app.mode == Mode::Matrix {
        egui::CentralPanel::default().show(ui, |ui| matrix::show(ui, app));
        return;
    }
    egui::Panel::top("narration").show(ui, |ui| narration::show(ui, app));
    if app.mode == Mode::Compare {
        let h = (ui.available_height() * 0.45).max(300.0);
        egui::Panel::top("timeline-compare").resizable(true).default_size(h).show(ui, |ui| compare::timelines(ui, app));
    } else {
        let h = (ui.available_height() * 0.27).clamp(150.0, 300.0);
        egui::Panel::top("timeline").resizable(true).default_size(h).show(ui, |ui| main_timeline(ui, app));
    }
    let w = (ui.available_width() * 0.27).clamp(260.0, 460.0);
    egui::Panel::left("events").resizable(true).default_size(w).show(ui, |ui| events::show(ui, app));
    if app.mode == Mode::Scheduler {
        egui::Panel::right("scheduler").resizable(true).default_size(360.0).show(ui, |ui| scheduler::show(ui, app));
    }
    egui::CentralPanel::default().show(ui, |ui| match app.mode {
        Mode::Compare => compare::table(ui, app),
        Mode::Explore => explore::show(ui, app),
        Mode::Trace | Mode::Scheduler | Mode::Matrix => state(ui, app),
    });
}

fn main_timeline(ui: &mut Ui, app: &mut Workbench) {
    let total = app.doc.len() as u32;
    timeline::controls(ui, &mut app.view, total, app.pos as f64);
    let height = ui.available_height().max(80.0);
    let lanes = timeline::Lanes { doc: &app.doc, xmap: None, total, pos: app.pos, label: "timeline", part_x: None };
    if let Some(p) = timeline::show(ui, &lanes, &mut app.view, height) {
        app.actions.push(crate::app::Action::Goto(p));
    }
}

/// The machine at the cursor: radix tree and page tables, threads and locks, source.
fn state(ui: &mut Ui, app: &mut Workbench) {
    let Some(cache) = app.cache.take() else { return };
    let h = ui.available_height();
    let w = ui.available_width() - 16.0;
    let doc = &app.doc;
    ui.horizontal_top(|ui| {
        column(ui, w * 0.34, h, |ui| {
            section(ui, "Radix tree (mapping->page_tree)", h * 0.62, |ui| tree::show(ui, doc, &cache));
            section(ui, "Page tables", h * 0.36, |ui| pagetables::show(ui, doc, &cache));
        });
        column(ui, w * 0.27, h, |ui| {
            section(ui, "Threads", h * 0.5, |ui| threads::show(ui, doc, &cache, app.pos));
            section(ui, "Locks and waits", h * 0.48, |ui| locks::show(ui, doc, &cache, app.pos));
        });
        column(ui, w * 0.39, h, |ui| {
            section(ui, "Source (the engine's code, a cursor per thread)", h, |ui| source::show(ui, doc, app.pos));
        });
    });
    app.cache = Some(cache);
}

fn column(ui: &mut Ui, width: f32, height: f32, body: impl FnOnce(&mut Ui)) {
    ui.allocate_ui_with_layout(egui::vec2(width, height), egui::Layout::top_down(egui::Align::Min), |ui| {
        ui.set_width(width);
        body(ui)
    });
}

/// A titled, framed, scrollable box of a fixed height.
pub fn section(ui: &mut Ui, title: &str, height: f32, body: impl FnOnce(&mut Ui)) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(egui::RichText::new(title).strong());
        egui::ScrollArea::both().id_salt(title).max_height((height - 40.0).max(40.0)).auto_shrink([false, true]).show(
            ui,
            |ui| {
                ui.set_min_height((height - 40.0).max(40.0));
                body(ui)
            },
        );
    });
}
