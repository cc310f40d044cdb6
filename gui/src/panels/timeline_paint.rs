//! Painting the swimlane timeline (see `timeline.rs` for the widget and its model).

use super::timeline::{Lanes, TimelineView};
use crate::model::index::{ArrowKind, NO_THREAD};
use crate::theme as t;
use daxlab::analysis::EventClass;
use egui::{Align2, Color32, FontId, Pos2, Rect, Stroke, Ui, Vec2, pos2};

const GUTTER: f32 = 70.0;
const HEADER: f32 = 18.0;
/// Rows of labels in a lane.
const LABEL_ROWS: usize = 3;

/// Colour, label and dot radius of a marked event: the engine's colour and label for its
/// class, the dot sized by how much it matters to the race.
fn glyph_style(c: EventClass) -> (Color32, &'static str, f32) {
    let r = match c {
        EventClass::Eexist | EventClass::Restart => 6.5,
        EventClass::Counterfactual => 5.5,
        EventClass::Fallback | EventClass::Enomem => 5.0,
        _ => 3.0,
    };
    let color = if c == EventClass::Exit { t::MUTED } else { t::class_color(c) };
    (color, c.label(), r)
}

pub struct Geometry {
    pub plot: Rect,
    pub header: Rect,
    pub gutter: Rect,
    pub lane_h: f32,
    pub view: TimelineView,
    /// Pixels per slot.
    pub ppx: f64,
}

impl Geometry {
    pub fn new(rect: Rect, lanes: usize, view: TimelineView) -> Self {
        let plot = Rect::from_min_max(pos2(rect.left() + GUTTER, rect.top() + HEADER), rect.max);
        let header = Rect::from_min_max(pos2(plot.left(), rect.top()), pos2(rect.right(), plot.top()));
        let gutter = Rect::from_min_max(pos2(rect.left(), plot.top()), pos2(plot.left(), rect.bottom()));
        let lane_h = plot.height() / lanes as f32;
        let ppx = f64::from(plot.width()) / view.len.max(1e-9);
        Geometry { plot, header, gutter, lane_h, view, ppx }
    }

    pub fn px(&self, x: f64) -> f32 {
        self.plot.left() + ((x - self.view.start) * self.ppx) as f32
    }

    pub fn x_at(&self, px: f32) -> f64 {
        self.view.start + f64::from(px - self.plot.left()) / self.ppx
    }

    pub fn lane(&self, tid: usize) -> Rect {
        let top = self.plot.top() + self.lane_h * tid as f32;
        Rect::from_min_max(pos2(self.plot.left(), top), pos2(self.plot.right(), top + self.lane_h))
    }

    fn lane_mid(&self, tid: usize) -> f32 {
        self.lane(tid).center().y
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Band {
    Ran,
    Held,
    Sleep,
    Spin,
}

/// Merges touching horizontal bands into one rectangle each.
struct Bands {
    open: Vec<Option<(Band, usize, f32, f32)>>,
}

pub struct Painter<'a> {
    p: egui::Painter,
    g: &'a Geometry,
    l: &'a Lanes<'a>,
    bands: Bands,
    /// Per lane, where the last text label ends (labels never overlap).
    text_edge: Vec<f32>,
}

impl<'a> Painter<'a> {
    pub fn new(ui: &Ui, g: &'a Geometry, l: &'a Lanes<'a>) -> Self {
        let lanes = l.doc.index.threads.max(1);
        let p = ui.painter().clone();
        Painter { p, g, l, bands: Bands { open: vec![None; lanes * 4] }, text_edge: vec![f32::MIN; lanes * LABEL_ROWS] }
    }

    pub fn paint_all(&mut self) {
        self.background();
        let plot = self.g.plot.union(self.g.header);
        let full = self.p.clone();
        self.p = full.with_clip_rect(plot);
        let r = self.l.events_in(self.g.view.start, self.g.view.start + self.g.view.len + 1.0);
        self.windows(&r);
        if self.g.ppx >= 2.0 {
            self.detailed(r.clone());
        } else {
            self.aggregated();
        }
        self.flush_bands();
        self.specials(r.clone());
        self.arrows(r.start as u32, r.end as u32);
        self.header(r);
        self.part_line();
        self.cursor();
        self.p = full;
    }

    fn background(&self) {
        let g = self.g;
        self.p.rect_filled(g.plot.union(g.gutter), 0.0, Color32::from_gray(24));
        self.p.rect_filled(g.header, 0.0, Color32::from_gray(32));
        for tid in 0..self.l.doc.index.threads {
            let lane = g.lane(tid);
            if tid % 2 == 1 {
                self.p.rect_filled(lane, 0.0, Color32::from_gray(28));
            }
            self.p.line_segment(
                [pos2(g.gutter.left(), lane.bottom()), pos2(lane.right(), lane.bottom())],
                Stroke::new(1.0, Color32::from_gray(45)),
            );
            let name = self.l.doc.thread_name(tid);
            let at = pos2(g.gutter.left() + 6.0, lane.center().y);
            self.p.text(at, Align2::LEFT_CENTER, name, FontId::proportional(14.0), t::thread(tid));
        }
    }

    fn slot_px(&self, i: usize) -> (f32, f32) {
        let x = f64::from(self.l.x_of(i));
        (self.g.px(x), self.g.px(x + 1.0))
    }

    fn band(&mut self, band: Band, lane: usize, x0: f32, x1: f32) {
        let k = lane * 4 + band as usize;
        if k >= self.bands.open.len() {
            return;
        }
        match self.bands.open[k] {
            Some((b, l, s, e)) if x0 <= e + 0.5 => self.bands.open[k] = Some((b, l, s, x1.max(e))),
            Some(prev) => {
                self.paint_band(prev);
                self.bands.open[k] = Some((band, lane, x0, x1));
            }
            None => self.bands.open[k] = Some((band, lane, x0, x1)),
        }
    }

    fn flush_bands(&mut self) {
        let open = std::mem::take(&mut self.bands.open);
        for b in open.into_iter().flatten() {
            self.paint_band(b);
        }
    }

    fn paint_band(&self, (band, lane, x0, x1): (Band, usize, f32, f32)) {
        let r = self.g.lane(lane);
        let h = r.height();
        let x1 = x1.max(x0 + 1.0);
        match band {
            Band::Ran => {
                let rr = Rect::from_min_max(pos2(x0, r.top() + h * 0.22), pos2(x1, r.bottom() - h * 0.3));
                self.p.rect_filled(rr, 2.0, t::dim(t::thread(lane), 110));
            }
            Band::Held => {
                let rr = Rect::from_min_max(pos2(x0, r.bottom() - h * 0.26), pos2(x1, r.bottom() - h * 0.08));
                self.p.rect_filled(rr, 1.0, t::LOCK);
            }
            Band::Sleep | Band::Spin => {
                let y = r.center().y;
                let c = if band == Band::Sleep { t::WAIT } else { t::dim(t::LOCK, 200) };
                let stroke = Stroke::new(2.0, c);
                let mut x = x0;
                while x < x1 {
                    self.p.line_segment([pos2(x, y), pos2((x + 4.0).min(x1), y)], stroke);
                    x += 7.0;
                }
            }
        }
    }

    /// One slot per event: who ran it, who holds tree_lock, who waits.
    fn detailed(&mut self, r: std::ops::Range<usize>) {
        let ix = &self.l.doc.index;
        for i in r {
            let (x0, x1) = self.slot_px(i);
            let tid = usize::from(ix.tid[i]);
            self.band(Band::Ran, tid, x0, x1);
            if ix.holder[i] != NO_THREAD {
                self.band(Band::Held, usize::from(ix.holder[i]), x0, x1);
            }
            for lane in 0..ix.threads {
                let bit = 1u64 << lane;
                if ix.sleeping[i] & bit != 0 && lane != tid {
                    self.band(Band::Sleep, lane, x0, x1);
                }
                if ix.spinning[i] & bit != 0 && lane != tid {
                    self.band(Band::Spin, lane, x0, x1);
                }
            }
            self.tick(i, tid, x0, x1);
        }
    }

    fn tick(&self, i: usize, tid: usize, x0: f32, x1: f32) {
        let c = self.l.doc.index.class[i];
        if c == EventClass::Call || x1 - x0 < 4.0 {
            return;
        }
        let lane = self.g.lane(tid);
        let x = (x0 + x1) / 2.0;
        let bright = matches!(c, EventClass::Lock | EventClass::TreeChange | EventClass::Lookup);
        let color = if bright { Color32::from_gray(230) } else { t::MUTED };
        self.p.line_segment(
            [pos2(x, lane.top() + 3.0), pos2(x, lane.top() + lane.height() * 0.2)],
            Stroke::new(1.0, color),
        );
    }

    /// One column per pixel, from the per-block summaries.
    fn aggregated(&mut self) {
        let g = self.g;
        let threads = self.l.doc.index.threads;
        let mut px = g.plot.left();
        while px < g.plot.right() {
            let r = self.l.events_in(g.x_at(px), g.x_at(px + 1.0));
            if !r.is_empty() {
                let agg = self.l.doc.index.pyramid.query(r.start, r.end);
                for lane in 0..threads {
                    let bit = 1u64 << lane;
                    for (mask, band) in [
                        (agg.ran, Band::Ran),
                        (agg.held, Band::Held),
                        (agg.sleeping, Band::Sleep),
                        (agg.spinning, Band::Spin),
                    ] {
                        if mask & bit != 0 {
                            self.band(band, lane, px, px + 1.0);
                        }
                    }
                }
            }
            px += 1.0;
        }
    }

    /// Race windows overlapping events `r`; several in one pixel are drawn once.
    fn windows(&self, r: &std::ops::Range<usize>) {
        let ix = &self.l.doc.index;
        let from = r.start.saturating_sub(ix.longest_window as usize) as u32;
        let first = ix.windows.partition_point(|w| w.open < from);
        let mut drawn_to = vec![f32::MIN; ix.threads];
        for w in ix.windows[first..].iter().take_while(|w| (w.open as usize) < r.end) {
            let (x0, x1) = (f64::from(self.l.x_of(w.open as usize)), f64::from(self.l.x_of(w.close as usize)) + 1.0);
            let lane = self.g.lane(usize::from(w.tid));
            let (p0, p1) = (self.g.px(x0), self.g.px(x1).max(self.g.px(x0) + 1.0));
            let edge = &mut drawn_to[usize::from(w.tid)];
            if p1 <= *edge + 1.0 {
                continue;
            }
            *edge = p1;
            let rect = Rect::from_min_max(pos2(p0, lane.top() + 1.0), pos2(p1, lane.bottom() - 1.0));
            self.p.rect_filled(rect, 3.0, t::WINDOW);
            self.p.rect_stroke(rect, 3.0, Stroke::new(1.5, t::WINDOW_EDGE), egui::StrokeKind::Inside);
            if rect.width() > 320.0 {
                self.window_label(rect, w.index);
            }
        }
    }

    fn window_label(&self, r: Rect, index: u64) {
        let text = format!("race window: tree_lock dropped to preload, nothing holds {index:#x}");
        let galley = self.p.layout_no_wrap(text, FontId::proportional(11.0), t::WINDOW_EDGE);
        let at = pos2(r.left().max(self.g.plot.left()) + 4.0, r.bottom() - galley.size().y - 3.0);
        if galley.size().x < r.width() - 8.0 {
            let bg = Rect::from_min_size(at - Vec2::new(2.0, 0.0), galley.size() + Vec2::new(4.0, 0.0));
            self.p.rect_filled(bg, 2.0, Color32::from_black_alpha(170));
            self.p.galley(at, galley, t::WINDOW_EDGE);
        }
    }

    /// Marked events in `r`: per lane and pixel only the most important one is drawn.
    fn specials(&mut self, r: std::ops::Range<usize>) {
        let ix = &self.l.doc.index;
        let sp = &ix.specials;
        let a = sp.partition_point(|&i| (i as usize) < r.start);
        let b = sp.partition_point(|&i| (i as usize) < r.end);
        // Per lane: (pixel, best class, x of its centre).
        let mut pending: Vec<Option<(i64, EventClass, f32)>> = vec![None; ix.threads];
        for &i in &sp[a..b] {
            let i = i as usize;
            let (x0, x1) = self.slot_px(i);
            let (tid, c) = (usize::from(ix.tid[i]), ix.class[i]);
            if c == EventClass::Bug {
                self.bug(x0, x1, i);
                continue;
            }
            let px = x0.floor() as i64;
            match pending[tid] {
                Some((p, best, _)) if p == px => {
                    if priority(c) > priority(best) {
                        pending[tid] = Some((px, c, (x0 + x1) / 2.0));
                    }
                }
                Some((_, best, x)) => {
                    self.glyph(tid, best, x);
                    pending[tid] = Some((px, c, (x0 + x1) / 2.0));
                }
                None => pending[tid] = Some((px, c, (x0 + x1) / 2.0)),
            }
        }
        for (tid, p) in pending.into_iter().enumerate() {
            if let Some((_, c, x)) = p {
                self.glyph(tid, c, x);
            }
        }
    }

    fn glyph(&mut self, tid: usize, c: EventClass, x: f32) {
        let lane = self.g.lane(tid);
        let y = lane.top() + lane.height() * 0.45;
        let (color, text, r) = glyph_style(c);
        self.p.circle_filled(pos2(x, y), r, color);
        if r > 5.0 {
            self.p.circle_stroke(pos2(x, y), r + 1.5, Stroke::new(1.0, Color32::WHITE));
        }
        let left = x - 3.0;
        let rows = (((lane.height() * 0.5) / 15.0).floor() as usize).clamp(1, LABEL_ROWS);
        let row = (0..rows).find(|&k| left > self.text_edge[tid * LABEL_ROWS + k]);
        let Some(row) = row.or((r > 5.0).then_some(0)) else { return };
        let galley = self.p.layout_no_wrap(text.to_string(), FontId::proportional(12.0), color);
        let at = pos2(left, lane.top() + 2.0 + 15.0 * row as f32);
        self.text_edge[tid * LABEL_ROWS + row] = at.x + galley.size().x + 6.0;
        let bg = Rect::from_min_size(at - Vec2::new(2.0, 0.0), galley.size() + Vec2::new(4.0, 0.0));
        self.p.rect_filled(bg, 2.0, Color32::from_black_alpha(170));
        self.p.galley(at, galley, color);
    }

    fn bug(&self, x0: f32, x1: f32, i: usize) {
        let g = self.g;
        let band = Rect::from_min_max(pos2(x0.min(x1 - 3.0), g.header.top()), pos2(x1.max(x0 + 3.0), g.plot.bottom()));
        self.p.rect_filled(band, 0.0, t::dim(t::BUG, 200));
        let tid = usize::from(self.l.doc.index.tid[i]);
        let lane = g.lane(tid);
        let text = "BUG: PTE under a huge PMD";
        let label = match &self.l.doc.events()[i].kind {
            daxlab::trace::EventKind::Bug { invariant } if invariant.name() == "pte-under-huge-pmd" => text.to_string(),
            daxlab::trace::EventKind::Bug { invariant } => format!("BUG: {}", invariant.name()),
            _ => text.to_string(),
        };
        let galley = self.p.layout_no_wrap(label, FontId::proportional(14.0), Color32::WHITE);
        let w = galley.size().x + 10.0;
        let left = if x1 + w < g.plot.right() { x1 + 2.0 } else { x0 - w - 2.0 };
        let r = Rect::from_min_size(pos2(left, lane.center().y - 10.0), Vec2::new(w, 20.0));
        self.p.rect_filled(r, 4.0, t::BUG);
        self.p.galley(r.min + Vec2::new(5.0, 2.0), galley, Color32::WHITE);
    }

    fn arrows(&self, lo: u32, hi: u32) {
        let ix = &self.l.doc.index;
        let mut last = f32::MIN;
        for a in ix.arrows_near(lo, hi) {
            if self.g.ppx < 0.5 && a.kind != ArrowKind::Intrusion {
                continue;
            }
            let x = self.slot_px(a.from as usize).0;
            if self.g.ppx < 0.5 && x - last < 3.0 {
                continue;
            }
            last = x;
            let (f, to) = (a.from as usize, a.to as usize);
            let (fx0, fx1) = self.slot_px(f);
            let (tx0, tx1) = self.slot_px(to);
            let from = pos2((fx0 + fx1) / 2.0, self.g.lane_mid(usize::from(ix.tid[f])));
            let dest = pos2((tx0 + tx1) / 2.0, self.g.lane_mid(usize::from(ix.tid[to])));
            let (color, width) = match a.kind {
                ArrowKind::Handoff => (t::HANDOFF, 1.2),
                ArrowKind::Wake => (t::WAKE, 1.5),
                ArrowKind::Intrusion => (t::EEXIST, 2.0),
            };
            self.arrow(from, dest, Stroke::new(width, color), a.kind == ArrowKind::Intrusion);
        }
    }

    fn arrow(&self, from: Pos2, to: Pos2, stroke: Stroke, dashed: bool) {
        if dashed {
            let shapes = egui::Shape::dashed_line(&[from, to], stroke, 6.0, 4.0);
            self.p.extend(shapes);
        } else {
            self.p.line_segment([from, to], stroke);
        }
        let dir = (to - from).normalized();
        if dir.length() > 0.0 {
            let back = to - dir * 8.0;
            let side = Vec2::new(-dir.y, dir.x) * 4.0;
            self.p.add(egui::Shape::convex_polygon(vec![to, back + side, back - side], stroke.color, Stroke::NONE));
        }
    }

    fn header(&self, r: std::ops::Range<usize>) {
        let g = self.g;
        let events = self.l.doc.events();
        let raw = 90.0 / g.ppx;
        let nice = nice_step(raw);
        let mut x = (g.view.start / nice).floor() * nice;
        while x < g.view.start + g.view.len {
            if let Some(i) = self.l.event_at(x.max(0.0)) {
                let px = g.px(x);
                self.p.line_segment(
                    [pos2(px, g.header.bottom() - 5.0), pos2(px, g.header.bottom())],
                    Stroke::new(1.0, t::MUTED),
                );
                let label = format!("step {}", events[i].step);
                self.p.text(
                    pos2(px + 2.0, g.header.center().y),
                    Align2::LEFT_CENTER,
                    label,
                    FontId::proportional(10.0),
                    t::MUTED,
                );
            }
            x += nice;
        }
        let sw = &self.l.doc.index.switches;
        let a = sw.partition_point(|&(i, _)| (i as usize) < r.start);
        let b = sw.partition_point(|&(i, _)| (i as usize) < r.end);
        let mut last = f32::MIN;
        for &(i, preempted) in &sw[a..b] {
            let (x0, _) = self.slot_px(i as usize);
            if x0 - last < 2.0 {
                continue;
            }
            last = x0;
            let c = if preempted { t::FALLBACK } else { t::MUTED };
            let top = g.header.bottom() - if preempted { 10.0 } else { 5.0 };
            self.p.line_segment(
                [pos2(x0, top), pos2(x0, g.plot.bottom())],
                Stroke::new(if preempted { 1.0 } else { 0.5 }, t::dim(c, 120)),
            );
            if preempted && g.ppx > 1.0 {
                let tri = vec![pos2(x0 - 4.0, top - 6.0), pos2(x0 + 4.0, top - 6.0), pos2(x0, top)];
                self.p.add(egui::Shape::convex_polygon(tri, c, Stroke::NONE));
            }
        }
    }

    fn part_line(&self) {
        let Some(x) = self.l.part_x else { return };
        let px = self.g.px(f64::from(x));
        self.p.line_segment(
            [pos2(px, self.g.header.top()), pos2(px, self.g.plot.bottom())],
            Stroke::new(2.0, t::FALLBACK),
        );
        self.p.text(
            pos2(px + 3.0, self.g.header.center().y),
            Align2::LEFT_CENTER,
            "they part here",
            FontId::proportional(11.0),
            t::FALLBACK,
        );
    }

    fn cursor(&self) {
        let g = self.g;
        let px = match self.l.pos.checked_sub(1) {
            None => g.px(0.0),
            Some(i) if i < self.l.doc.len() => {
                let (x0, x1) = self.slot_px(i);
                let col = Rect::from_min_max(pos2(x0, g.plot.top()), pos2(x1.max(x0 + 2.0), g.plot.bottom()));
                self.p.rect_filled(col, 0.0, Color32::from_white_alpha(28));
                x1
            }
            Some(_) => return,
        };
        self.p.line_segment([pos2(px, g.header.top()), pos2(px, g.plot.bottom())], Stroke::new(2.0, t::CURSOR));
    }
}

/// Which marked event wins a pixel.
fn priority(c: EventClass) -> u8 {
    use EventClass as C;
    [C::Eexist, C::Counterfactual, C::Restart, C::Fallback, C::Enomem, C::Sleep, C::Spin, C::Exit]
        .iter()
        .position(|m| *m == c)
        .map_or(0, |p| 10 - p as u8)
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let raw = raw.max(1.0);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|s| *s >= raw).unwrap_or(10.0 * p)
}
