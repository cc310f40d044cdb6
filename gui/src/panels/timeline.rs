//! The swimlane timeline: one lane per emulated thread, one slot per event, drawn by our
//! own painter. Only the visible events are touched: the visible slot range is found by
//! binary search, and when a pixel holds many events the lanes are drawn from the index's
//! per-block summaries.

use super::timeline_paint::{Geometry, Painter};
use crate::model::Loaded;
use egui::{Sense, Ui, Vec2};

/// Which part of the x axis (event slots) is visible.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimelineView {
    pub start: f64,
    pub len: f64,
}

impl TimelineView {
    /// Everything when the trace is short, else a window around `pos`.
    pub fn fit(doc: &Loaded, pos: usize) -> Self {
        let n = doc.len() as f64;
        if n <= 400.0 {
            TimelineView { start: 0.0, len: n.max(8.0) }
        } else {
            let len = 240.0;
            TimelineView { start: (pos as f64 - len / 2.0).clamp(0.0, n - len), len }
        }
    }

    /// Pans so that slot `x` is in view (with a margin).
    pub fn follow_x(&mut self, x: f64) {
        let margin = (self.len * 0.1).min(20.0);
        if x < self.start + margin {
            self.start = (x - margin).max(0.0);
        } else if x + 1.0 > self.start + self.len - margin {
            self.start = x + 1.0 + margin - self.len;
        }
    }

    pub fn follow(&mut self, pos: usize) {
        self.follow_x(pos.saturating_sub(1) as f64);
    }

    fn clamp(&mut self, total: f64) {
        self.len = self.len.clamp(4.0, total.max(4.0) * 1.05);
        self.start = self.start.clamp(-self.len * 0.02, (total - self.len * 0.98).max(0.0));
    }

    fn zoom_at(&mut self, factor: f64, anchor_x: f64) {
        let new_len = self.len * factor;
        self.start = anchor_x - (anchor_x - self.start) * (new_len / self.len);
        self.len = new_len;
    }
}

/// What one timeline draws.
pub struct Lanes<'a> {
    pub doc: &'a Loaded,
    /// The slot of each event when slots are shared with another trace (compare mode);
    /// None = event i sits in slot i.
    pub xmap: Option<&'a [u32]>,
    /// Number of slots on the axis.
    pub total: u32,
    /// The cursor (events run).
    pub pos: usize,
    /// AccessKit label and id of the widget.
    pub label: &'a str,
    /// A slot to mark as the place two runs part.
    pub part_x: Option<u32>,
}

impl Lanes<'_> {
    pub fn x_of(&self, i: usize) -> u32 {
        self.xmap.map_or(i as u32, |m| m[i])
    }

    /// Events whose slots lie in `[x0, x1)`.
    pub fn events_in(&self, x0: f64, x1: f64) -> std::ops::Range<usize> {
        let n = self.doc.len();
        let lo = x0.floor().max(0.0) as u64;
        let hi = x1.ceil().max(0.0) as u64;
        match self.xmap {
            None => (lo.min(n as u64) as usize)..(hi.min(n as u64) as usize),
            Some(m) => m.partition_point(|&x| u64::from(x) < lo)..m.partition_point(|&x| u64::from(x) < hi),
        }
    }

    /// The event in slot `x`, if any.
    pub fn event_at(&self, x: f64) -> Option<usize> {
        let r = self.events_in(x.floor(), x.floor() + 1.0);
        (!r.is_empty()).then_some(r.start)
    }
}

/// Draws the lanes and handles zoom, pan, hover and click. Returns the position to jump to
/// when the user clicked an event.
pub fn show(ui: &mut Ui, lanes: &Lanes<'_>, view: &mut TimelineView, height: f32) -> Option<usize> {
    let size = Vec2::new(ui.available_width(), height);
    let (rect, response) = ui.allocate_exact_size(size, Sense::click_and_drag());
    let label = lanes.label.to_string();
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, &label));
    view.clamp(f64::from(lanes.total));
    let geo = Geometry::new(rect, lanes.doc.index.threads.max(1), *view);
    let jump = interact(ui, &response, &geo, lanes, view);
    if ui.is_rect_visible(rect) {
        let geo = Geometry::new(rect, lanes.doc.index.threads.max(1), *view);
        Painter::new(ui, &geo, lanes).paint_all();
        if let Some(p) = response.hover_pos() {
            hover_tooltip(ui, &response, &geo, lanes, p);
        }
    }
    jump
}

fn interact(
    ui: &Ui,
    response: &egui::Response,
    geo: &Geometry,
    lanes: &Lanes<'_>,
    view: &mut TimelineView,
) -> Option<usize> {
    if response.dragged() {
        view.start -= f64::from(response.drag_delta().x) / geo.ppx;
    }
    if response.hovered() {
        let (scroll, zoom, shift) = ui.input(|i| (i.smooth_scroll_delta, i.zoom_delta(), i.modifiers.shift));
        let anchor = response.hover_pos().map_or(view.start + view.len / 2.0, |p| geo.x_at(p.x));
        if zoom != 1.0 {
            view.zoom_at(1.0 / f64::from(zoom), anchor);
        } else if shift || scroll.x.abs() > scroll.y.abs() {
            let d = if shift { scroll.y + scroll.x } else { scroll.x };
            view.start -= f64::from(d) / geo.ppx;
        } else if scroll.y != 0.0 {
            view.zoom_at((-f64::from(scroll.y) * 0.004).exp(), anchor);
        }
    }
    if response.clicked()
        && let Some(p) = response.interact_pointer_pos()
        && geo.plot.contains(p)
    {
        return lanes.event_at(geo.x_at(p.x)).map(|i| i + 1);
    }
    None
}

fn hover_tooltip(_ui: &Ui, response: &egui::Response, geo: &Geometry, lanes: &Lanes<'_>, p: egui::Pos2) {
    if !geo.plot.contains(p) {
        return;
    }
    let Some(i) = lanes.event_at(geo.x_at(p.x)) else { return };
    let doc = lanes.doc;
    let e = &doc.events()[i];
    let text =
        format!("step {} · {} · {}\n(click to jump here)", e.step, doc.thread_name(e.tid.index()), doc.narration(i));
    response.clone().on_hover_ui_at_pointer(|ui| {
        ui.set_max_width(420.0);
        ui.label(text);
    });
}

/// Zoom buttons and the legend above a timeline.
pub fn controls(ui: &mut Ui, view: &mut TimelineView, total: u32, cursor_x: f64) {
    ui.horizontal(|ui| {
        if ui.small_button("−").on_hover_text("zoom out (or scroll down over the lanes)").clicked() {
            view.zoom_at(2.0, cursor_x);
        }
        if ui.small_button("+").on_hover_text("zoom in (or scroll up over the lanes)").clicked() {
            view.zoom_at(0.5, cursor_x);
        }
        if ui.small_button("fit").on_hover_text("show the whole trace").clicked() {
            *view = TimelineView { start: 0.0, len: f64::from(total).max(8.0) };
        }
        ui.separator();
        legend(ui);
    });
}

fn legend(ui: &mut Ui) {
    use crate::theme as t;
    let item = |ui: &mut Ui, c: egui::Color32, s: &str| {
        let (r, _) = ui.allocate_exact_size(Vec2::new(12.0, 10.0), Sense::hover());
        ui.painter().rect_filled(r, 2.0, c);
        ui.label(egui::RichText::new(s).small());
    };
    item(ui, t::LOCK, "holds tree_lock");
    item(ui, t::WINDOW_EDGE, "race window");
    item(ui, t::WAIT, "waits / spins");
    item(ui, t::EEXIST, "-EEXIST");
    item(ui, t::COUNTERFACTUAL, "fix sees the entry");
    item(ui, t::RESTART, "restart");
    item(ui, t::FALLBACK, "fallback");
    item(ui, t::BUG, "BUG");
    item(ui, t::WAKE, "wake-up");
    item(ui, t::HANDOFF, "lock hand-off");
}
