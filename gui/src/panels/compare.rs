//! Compare: the interleaving on screen replayed on two kernels, side by side — its own and
//! any other the user picks (by default [`Kernel::counterpart`]: the other seed kernel, or
//! the release before). The rows are aligned up to the point where the runs part (marked), the two
//! timelines share one view and one cursor. The older kernel is on the left.

use super::kernel_pick::Picker;
use super::narration::event_color;
use super::timeline::{self, Lanes, TimelineView};
use crate::app::{Action, Workbench};
use crate::model::align::{Alignment, align};
use crate::model::{Loaded, Origin};
use crate::theme as t;
use daxlab::Kernel;
use daxlab::trace::{RecordMode, diff_kernels};
use egui::{RichText, Ui};

pub struct Compare {
    /// The workbench generation this was built for.
    pub generation: u64,
    /// Side a: the older of the two kernels.
    pub a: Loaded,
    /// Side b: the newer one.
    pub b: Loaded,
    pub align: Alignment,
    pub view: TimelineView,
    recorded: Kernel,
    /// The cursor the view last followed.
    followed: Option<usize>,
    /// Rows where some side did more than enter or leave a function.
    pub plain_rows: Vec<u32>,
    /// The cursor the table last scrolled to.
    scrolled: Option<usize>,
}

impl Compare {
    /// Replays `doc`'s interleaving on its kernel and on `other`.
    pub fn build(doc: &Loaded, other: Kernel) -> Compare {
        let d = diff_kernels(&doc.header, &doc.scenario, other);
        let sc = &doc.scenario;
        let from = doc.kernel().label();
        let make = |v: Kernel, ex: &daxlab::scenario::Execution| {
            let what = format!("{} · {} · carried over from the {from} trace", sc.name, v.label());
            Loaded::from_execution(sc, v, RecordMode::Replayed { from: from.clone() }, ex, Origin::Made(what))
        };
        let rec = make(d.recorded.0, &d.recorded.1);
        let car = make(d.carried.0, &d.carried.1);
        let (a, b, part) =
            if d.recorded.0 <= d.carried.0 { (rec, car, d.part) } else { (car, rec, d.part.map(|(x, y)| (y, x))) };
        let align = align(a.events(), b.events(), part);
        let call = |d: &Loaded, e: Option<u32>| {
            e.is_none_or(|i| d.index.class[i as usize] == daxlab::analysis::EventClass::Call)
        };
        let plain_rows = (0..align.rows.len())
            .filter(|&r| {
                let (ea, eb) = align.rows[r];
                !(call(&a, ea) && call(&b, eb)) || Some(r) == align.part_row
            })
            .map(|r| r as u32)
            .collect();
        let total = align.total_rows() as f64;
        let view = TimelineView { start: 0.0, len: total.clamp(8.0, 300.0) };
        Compare { generation: 0, a, b, align, view, recorded: doc.kernel(), followed: None, plain_rows, scrolled: None }
    }

    /// The two kernels, side a's first.
    pub fn kernels(&self) -> [Kernel; 2] {
        [self.a.kernel(), self.b.kernel()]
    }

    pub fn side(&self, v: Kernel) -> &Loaded {
        if v == self.a.kernel() { &self.a } else { &self.b }
    }

    /// Whether the recording is side b (then positions map from b to a).
    fn recorded_is_b(&self) -> bool {
        self.recorded == self.b.kernel()
    }

    /// Hands over one side as a trace of its own, with `pos` (a position on the recorded
    /// side) mapped onto it.
    pub fn take_side(self, v: Kernel, pos: usize) -> (Loaded, usize) {
        let pos = if v == self.recorded { pos } else { self.align.map_pos(pos, self.recorded_is_b()) };
        let recorded = self.recorded;
        let mut doc = if v == self.a.kernel() { self.a } else { self.b };
        if let Origin::Made(w) = &mut doc.origin {
            *w = format!("{} · {} · same interleaving as the {} trace", doc.scenario.name, v.label(), recorded.label());
        }
        (doc, pos)
    }

    /// Positions on both sides for a position on the recorded side.
    fn positions(&self, pos: usize) -> (usize, usize) {
        if self.recorded_is_b() { (self.align.map_pos(pos, true), pos) } else { (pos, self.align.map_pos(pos, false)) }
    }

    /// The recorded side's position for a position on side `v`.
    fn to_recorded(&self, v: Kernel, pos: usize) -> usize {
        if v == self.recorded { pos } else { self.align.map_pos(pos, v == self.b.kernel()) }
    }
}

/// The kernel the one on screen is compared with: the one picked, unless it is the same
/// kernel; else its counterpart.
pub fn other_kernel(app: &Workbench) -> Kernel {
    let own = app.doc.kernel();
    app.compare_with.filter(|k| *k != own).unwrap_or_else(|| own.counterpart())
}

fn ensure(app: &mut Workbench) {
    let other = other_kernel(app);
    if app.compare.as_ref().is_none_or(|c| c.generation != app.generation || !c.kernels().contains(&other)) {
        let mut c = Compare::build(&app.doc, other);
        c.generation = app.generation;
        app.compare = Some(c);
    }
}

/// Which two kernels: the one on screen (the toolbar's picker) and the one picked here.
fn pick_other(ui: &mut Ui, app: &mut Workbench) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("The interleaving on screen, on {}, and on", app.doc.kernel().describe()));
        let picker = Picker {
            id: "compare-picker",
            label: "compare with",
            fixes: "fixes of the other kernel ▾",
            hover: "replay the same interleaving on this kernel too",
        };
        if let Some(k) = picker.show(ui, other_kernel(app)) {
            app.compare_with = Some(k);
        }
    });
}

pub fn timelines(ui: &mut Ui, app: &mut Workbench) {
    pick_other(ui, app);
    ensure(app);
    let Some(c) = app.compare.as_mut() else { return };
    let (pa, pb) = c.positions(app.pos);
    let total = c.align.total_rows();
    let cursor_x = c.align.xa.get(pa.saturating_sub(1)).copied().unwrap_or(0) as f64;
    timeline::controls(ui, &mut c.view, total, cursor_x);
    let h = ((ui.available_height() - 40.0) / 2.0).max(60.0);
    let part_x = c.align.part_row.map(|r| r as u32);
    let mut jump = None;
    let Compare { a, b, align, view, .. } = &mut *c;
    for (side, xmap, pos) in [(&*a, &align.xa, pa), (&*b, &align.xb, pb)] {
        let v = side.kernel();
        ui.label(RichText::new(format!("{} — {}", v.describe(), side.outcome_line())).strong());
        let label = format!("timeline {}", v.label());
        let lanes = Lanes { doc: side, xmap: Some(xmap), total, pos, label: &label, part_x };
        if let Some(p) = timeline::show(ui, &lanes, view, h) {
            jump = Some((v, p));
        }
    }
    if let Some((v, p)) = jump {
        app.actions.push(Action::Goto(c.to_recorded(v, p)));
    } else if c.followed != Some(app.pos) {
        c.followed = Some(app.pos);
        if let Some(x) = c.align.xa.get(pa.saturating_sub(1)) {
            c.view.follow_x(f64::from(*x));
        }
    }
}

pub fn table(ui: &mut Ui, app: &mut Workbench) {
    ensure(app);
    let Some(c) = app.compare.as_mut() else { return };
    summary(ui, c, &mut app.actions);
    let (pa, _) = c.positions(app.pos);
    let cur_row = pa.checked_sub(1).and_then(|i| c.align.xa.get(i)).map(|r| *r as usize);
    let all: Vec<u32>;
    let rows: &[u32] = if app.show_calls {
        all = (0..c.align.rows.len() as u32).collect();
        &all
    } else {
        &c.plain_rows
    };
    let [ka, kb] = c.kernels();
    ui.columns(2, |cols| {
        cols[0].label(RichText::new(ka.describe()).strong());
        cols[1].label(RichText::new(kb.describe()).strong());
    });
    let row_h = ui.spacing().interact_size.y;
    let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
    if c.scrolled != Some(app.pos) {
        c.scrolled = Some(app.pos);
        let k = cur_row.map_or(0, |r| rows.partition_point(|&x| (x as usize) < r));
        area = area.vertical_scroll_offset((k as f32 - 6.0).max(0.0) * (row_h + ui.spacing().item_spacing.y));
    }
    let c = &*c;
    let mut jump = None;
    area.show_rows(ui, row_h, rows.len(), |ui, range| {
        for k in range {
            let r = rows[k] as usize;
            let (a, b) = c.align.rows[r];
            let part = Some(r) == c.align.part_row;
            ui.columns(2, |cols| {
                for (col, (side, e)) in [(&c.a, a), (&c.b, b)].into_iter().enumerate() {
                    let Some(i) = e else { continue };
                    if row(&mut cols[col], side, i as usize, cur_row == Some(r), part) {
                        jump = Some(c.to_recorded(side.kernel(), i as usize + 1));
                    }
                }
            });
        }
    });
    if let Some(p) = jump {
        app.actions.push(Action::Goto(p));
    }
}

fn row(ui: &mut Ui, doc: &Loaded, i: usize, selected: bool, part: bool) -> bool {
    let e = &doc.events()[i];
    let mark = if part { ">>" } else { "  " };
    let text = format!("{mark}{:>4} {:<3} {}", e.step, doc.thread_name(e.tid.index()), doc.narration(i));
    let color = if selected { egui::Color32::WHITE } else { event_color(doc, i) };
    ui.add(egui::Button::selectable(selected, RichText::new(text).monospace().color(color)).truncate()).clicked()
}

fn summary(ui: &mut Ui, c: &Compare, actions: &mut Vec<Action>) {
    ui.label(
        RichText::new("One interleaving, two kernels: the same threads take the same turns on each side.").strong(),
    );
    let Some(r) = c.align.part_row else {
        ui.label("The two runs never part: this interleaving does not reach the race.");
        return;
    };
    let (a, b) = c.align.rows.get(r).copied().unwrap_or((None, None));
    let step =
        a.or(b).map_or(0, |i| if a.is_some() { c.a.events()[i as usize].step } else { c.b.events()[i as usize].step });
    ui.label(RichText::new(format!("They part at step {step} (marked >> in the table below):")).color(t::FALLBACK));
    let say = |doc: &Loaded, e: Option<u32>| e.map_or("(ends)".to_string(), |i| doc.narration(i as usize));
    ui.label(RichText::new(format!("{}: {}", c.a.kernel().label(), say(&c.a, a))).color(t::EEXIST));
    ui.label(RichText::new(format!("{}: {}", c.b.kernel().label(), say(&c.b, b))).color(t::RESTART));
    if ui.button("jump to where they part").clicked()
        && let Some(i) = a
    {
        actions.push(Action::Goto(c.to_recorded(c.a.kernel(), i as usize + 1)));
    }
}
