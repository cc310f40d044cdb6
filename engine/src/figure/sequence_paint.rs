//! Painting the sequence diagram laid out by `sequence.rs`.

use super::scene::{Align, Scene, TextSpec, fit, text_width};
use super::sequence::{
    Diagram, GUTTER, HEAD_H, LINE, MARGIN, Row, RowKind, TITLE_H, Track, caption_spec, label_spec, track,
};
use super::style;
use crate::analysis::EexistKind;
use crate::analysis::EventClass;
use crate::trace::EventKind;

pub(super) fn all(s: &mut Scene, d: &Diagram) {
    title(s, d);
    headers(s, d);
    zebra(s, d);
    windows(s, d);
    lifelines(s, d);
    for r in &d.rows {
        row(s, d, r);
    }
    arrows(s, d);
    legend(s, d);
}

fn title(s: &mut Scene, d: &Diagram) {
    let t = d.trace;
    let w = d.width() - 2 * MARGIN;
    let head = format!("{} — {}", t.scenario, t.kernel.describe());
    s.text((MARGIN, MARGIN), head, &TextSpec::new(20.0, style::INK).bold());
    let last = t.events.last().map_or(0, |e| e.step);
    let plural = if t.preemptions == 1 { "" } else { "s" };
    let line = format!(
        "steps {}–{} of 0–{last} · {} preemption{plural} · outcome: {}",
        d.from, d.to, t.preemptions, t.outcome
    );
    let color = if t.outcome.is_failure() { style::BUG } else { style::RESTART };
    let spec = TextSpec::new(13.5, color);
    s.text((MARGIN, MARGIN + 28), fit(&line, w, &spec), &spec);
    let sc = t.scenario().map(|sc| sc.description).unwrap_or_default();
    let spec = TextSpec::new(12.5, style::MUTED);
    s.text((MARGIN, MARGIN + 50), fit(&sc, w, &spec), &spec);
}

fn headers(s: &mut Scene, d: &Diagram) {
    let y = MARGIN + TITLE_H;
    for t in 0..d.threads() {
        let x = d.col_x(t);
        let c = style::thread(t);
        s.shapes.push(super::scene::Shape::Rect {
            from: (x + 4, y + 2),
            to: (x + d.col_w - 8, y + HEAD_H - 8),
            fill: Some(c.alpha(0x22)),
            stroke: Some((c, 1)),
        });
        s.text((x + 12, y + 6), d.names[t].clone(), &TextSpec::new(15.0, c).bold());
        let sub = format!("thread of process {}", d.processes[t]);
        let spec = TextSpec::new(10.5, style::MUTED);
        s.text((x + 12, y + 23), fit(&sub, d.col_w - 28, &spec), &spec);
    }
    s.text((d.caption_x(), y + 6), "what happens (daxlab's narration)", &TextSpec::new(14.0, style::INK).bold());
    s.text((MARGIN + GUTTER - 8, y + 23), "step", &TextSpec::new(10.5, style::MUTED).align(Align::Right));
}

fn zebra(s: &mut Scene, d: &Diagram) {
    let right = d.width() - MARGIN;
    let mut odd = false;
    let mut last_step = None;
    for r in &d.rows {
        let RowKind::Event { index, .. } = r.kind else { continue };
        let step = d.trace.events[index].step;
        if last_step != Some(step) {
            odd = !odd;
            last_step = Some(step);
        }
        if let RowKind::Event { class: EventClass::Bug | EventClass::Eexist, .. } = r.kind {
            s.rect((MARGIN, r.y), (right, r.y + r.h), style::EEXIST.alpha(0x1c));
        } else if odd {
            s.rect((MARGIN, r.y), (right, r.y + r.h), style::ZEBRA);
        }
    }
}

fn windows(s: &mut Scene, d: &Diagram) {
    for w in &d.analysis.windows {
        let close = w.close.unwrap_or(u32::MAX);
        if w.open > d.to || close < d.from {
            continue;
        }
        let t = w.tid.index();
        let (y0, y1) = (d.y_of_step(w.open, t), d.y_of_step(close, t));
        let raced = !w.intruders.is_empty();
        let (x0, x1) = if raced { (d.col_x(0), d.col_x(d.threads())) } else { (d.col_x(t), d.col_x(t + 1)) };
        s.rect((x0, y0), (x1, y1), if raced { style::WINDOW } else { style::WINDOW_QUIET });
        let cx = d.col_x(t);
        s.rect((cx + 3, y0), (cx + 9, y1), if raced { style::WINDOW_EDGE } else { style::WINDOW_EDGE.alpha(0x70) });
        let label = format!("{}'s race window at {:#x}", d.names[t], w.index);
        let spec = TextSpec::new(10.5, style::MUTED).vertical().align(Align::Right);
        if text_width(&label, &spec) + 8 < y1 - y0 {
            s.text((cx + 10, y0 + 4), label, &spec);
        }
    }
}

/// The y each event of the range takes effect at: its own row, or (for an event that is
/// not drawn) the top of the next row drawn.
fn event_ys(d: &Diagram) -> Vec<i32> {
    let mut ys = vec![d.rows_bottom; d.hi - d.lo];
    let mut next = d.rows_bottom;
    let mut rows = d.rows.iter().rev().filter_map(|r| r.event().map(|i| (i, r))).peekable();
    for i in (d.lo..d.hi).rev() {
        if let Some((_, r)) = rows.next_if(|(k, _)| *k == i) {
            ys[i - d.lo] = r.mid();
            next = r.y;
        } else {
            ys[i - d.lo] = next;
        }
    }
    ys
}

fn lifelines(s: &mut Scene, d: &Diagram) {
    let mut tracks = vec![Track::default(); d.threads()];
    for e in &d.trace.events[..d.lo] {
        track(&mut tracks, e);
    }
    let mut start = vec![d.rows_top; d.threads()];
    let ys = event_ys(d);
    for (k, e) in d.trace.events[d.lo..d.hi].iter().enumerate() {
        let before = tracks.clone();
        track(&mut tracks, e);
        for t in 0..d.threads() {
            if tracks[t] != before[t] {
                segment(s, d, t, before[t], start[t], ys[k]);
                start[t] = ys[k];
            }
        }
    }
    for t in 0..d.threads() {
        segment(s, d, t, tracks[t], start[t], d.rows_bottom);
    }
}

fn segment(s: &mut Scene, d: &Diagram, t: usize, tr: Track, y0: i32, y1: i32) {
    if tr.exited || y1 <= y0 {
        return;
    }
    let (x, cx) = (d.life_x(t), d.col_x(t));
    if tr.asleep {
        s.dashed((x, y0), (x, y1), style::SLEEP, 2, 4.0, 4.0);
    } else if tr.spinning {
        s.dashed((x, y0), (x, y1), style::TREE_LOCK, 2, 2.0, 3.0);
    } else {
        s.line((x, y0), (x, y1), style::thread(t), 2);
    }
    if tr.entry_locks > 0 {
        s.rect((cx + 14, y0), (cx + 20, y1), style::ENTRY_LOCK);
    }
    if tr.tree_lock {
        s.rect((cx + 22, y0), (cx + 28, y1), style::TREE_LOCK);
    }
}

fn row(s: &mut Scene, d: &Diagram, r: &Row) {
    match &r.kind {
        RowKind::Switch { preemption, .. } => {
            let y = r.mid();
            let color = if preemption.is_some() { style::FALLBACK } else { style::MUTED };
            s.dashed((d.col_x(0), y), (d.col_x(d.threads()), y), color, 1, 6.0, 4.0);
            let spec = TextSpec::new(11.5, color);
            s.text((d.caption_x(), r.y + 3), r.caption[0].clone(), &spec);
        }
        RowKind::Event { index, class, context, label } => event_row(s, d, r, *index, *class, context, label),
    }
}

fn event_row(s: &mut Scene, d: &Diagram, r: &Row, i: usize, class: EventClass, context: &Option<String>, label: &str) {
    let e = &d.trace.events[i];
    let t = e.tid.index();
    let (x, mid) = (d.life_x(t), r.mid());
    let width = d.col_w - 34 - 12 - 8;
    if let Some(c) = context {
        let spec = TextSpec::new(10.0, style::MUTED);
        s.text((x + 10, r.y + 2), fit(c, width, &spec), &spec);
    }
    let first_of_step = d.rows.iter().find(|o| o.event().is_some_and(|k| d.trace.events[k].step == e.step));
    if first_of_step.is_some_and(|o| std::ptr::eq(o, r)) {
        let spec = TextSpec::new(11.0, style::MUTED).mono().align(Align::Right);
        s.text((MARGIN + GUTTER - 8, mid - 7), e.step.to_string(), &spec);
    }
    marker(s, x, mid, class, t);
    let mut spec = label_spec();
    spec.color = style::class_color(class);
    spec.bold = class.is_landmark();
    let text = fit(label, width, &spec);
    if class == EventClass::Bug {
        let w = text_width(&text, &spec);
        s.rect((x + 7, mid - 9), (x + 14 + w, mid + 9), style::BUG);
        spec.color = super::scene::Rgba::rgb(255, 255, 255);
    }
    s.text((x + 10, mid - 7), text, &spec);
    let mut cap = caption_spec();
    cap.color = style::class_color(class);
    cap.bold = matches!(class, EventClass::Bug | EventClass::Eexist | EventClass::Restart | EventClass::Counterfactual);
    let top = mid - 8;
    for (k, line) in r.caption.iter().enumerate() {
        s.text((d.caption_x(), top + k as i32 * LINE), line.clone(), &cap);
    }
}

fn marker(s: &mut Scene, x: i32, y: i32, class: EventClass, t: usize) {
    let white = Some((super::scene::Rgba::rgb(255, 255, 255), 2));
    match class {
        EventClass::Bug => s.circle((x, y), 8, Some(style::BUG), white),
        c if c.is_landmark() => s.circle((x, y), 6, Some(style::class_color(c)), white),
        c if c.is_wait() => s.circle((x, y), 4, Some(super::scene::Rgba::rgb(255, 255, 255)), Some((style::MUTED, 2))),
        EventClass::Exit => s.line((x - 8, y), (x + 8, y), style::thread(t), 3),
        _ => s.circle((x, y), 3, Some(style::thread(t)), None),
    }
}

fn arrows(s: &mut Scene, d: &Diagram) {
    let row_of = |i: usize| d.rows.iter().find(|r| r.event() == Some(i));
    for r in &d.rows {
        let Some(i) = r.event() else { continue };
        let e = &d.trace.events[i];
        let x = d.life_x(e.tid.index());
        let y = r.mid() + 7;
        match &e.kind {
            EventKind::Wake { woken, .. } => {
                for w in woken.iter() {
                    let to = d.life_x(w.index());
                    s.arrow((x, y), (to + if to > x { -4 } else { 4 }, y), style::WAKE, 2, false);
                }
            }
            EventKind::Insert { err: None, .. } => {
                for w in d.analysis.windows.iter().filter(|w| w.intruders.iter().any(|n| n.step == e.step)) {
                    let to = d.life_x(w.tid.index());
                    s.arrow((x, y), (to + if to > x { -4 } else { 4 }, y), style::WINDOW_EDGE, 2, true);
                }
            }
            _ => {}
        }
    }
    for x in &d.analysis.eexist {
        let Some(c) = &x.cause else { continue };
        let at = d.rows.iter().find(|r| r.event().is_some_and(|i| d.trace.events[i].step == x.step));
        let from = d.trace.events.iter().position(|e| e.step == c.step && e.tid == c.tid).and_then(row_of);
        if let (Some(at), Some(from)) = (at, from) {
            let color = if x.kind == EexistKind::Actual { style::EEXIST } else { style::COUNTERFACTUAL };
            let (x0, x1) = (d.life_x(c.tid.index()), d.life_x(x.tid.index()));
            s.arrow((x0, from.mid() + 4), (x1 + if x1 > x0 { -7 } else { 7 }, at.mid() - 4), color, 1, true);
        }
    }
}

const LEGEND: [(&str, LegendKey); 10] = [
    ("tree_lock held", LegendKey::Bar(style::TREE_LOCK)),
    ("DAX entry (or hole page) locked", LegendKey::Bar(style::ENTRY_LOCK)),
    ("race window: tree_lock dropped to preload, nothing locked at the index", LegendKey::Shade),
    ("-EEXIST", LegendKey::Dot(style::EEXIST)),
    ("the fix's re-lookup finds the entry", LegendKey::Dot(style::COUNTERFACTUAL)),
    ("restart", LegendKey::Dot(style::RESTART)),
    ("PMD fault falls back to 4 KiB", LegendKey::Dot(style::FALLBACK)),
    ("wake-up", LegendKey::Arrow(style::WAKE)),
    ("asleep (entry lock wait)", LegendKey::Dashed(style::SLEEP)),
    ("thread switch (orange: a preemption)", LegendKey::Dashed(style::FALLBACK)),
];

#[derive(Clone, Copy)]
enum LegendKey {
    Bar(super::scene::Rgba),
    Shade,
    Dot(super::scene::Rgba),
    Arrow(super::scene::Rgba),
    Dashed(super::scene::Rgba),
}

fn legend_items(d: &Diagram) -> Vec<Vec<(usize, i32)>> {
    let spec = TextSpec::new(11.5, style::INK);
    let avail = d.width() - 2 * MARGIN;
    let mut lines: Vec<Vec<(usize, i32)>> = vec![Vec::new()];
    let mut x = 0;
    for (k, (text, _)) in LEGEND.iter().enumerate() {
        let w = 30 + text_width(text, &spec) + 22;
        if x + w > avail && x > 0 {
            lines.push(Vec::new());
            x = 0;
        }
        lines.last_mut().expect("one line at least").push((k, x));
        x += w;
    }
    lines
}

pub(super) fn legend_height(d: &Diagram) -> i32 {
    legend_items(d).len() as i32 * 20 + 14
}

fn legend(s: &mut Scene, d: &Diagram) {
    let spec = TextSpec::new(11.5, style::INK);
    s.line((MARGIN, d.rows_bottom), (d.width() - MARGIN, d.rows_bottom), style::FAINT, 1);
    for (n, line) in legend_items(d).iter().enumerate() {
        let y = d.rows_bottom + 12 + n as i32 * 20;
        for &(k, dx) in line {
            let x = MARGIN + dx;
            let (text, key) = LEGEND[k];
            match key {
                LegendKey::Bar(c) => s.rect((x + 8, y), (x + 14, y + 14), c),
                LegendKey::Shade => s.rect((x, y), (x + 24, y + 14), style::WINDOW),
                LegendKey::Dot(c) => s.circle((x + 11, y + 7), 6, Some(c), None),
                LegendKey::Arrow(c) => s.arrow((x, y + 7), (x + 24, y + 7), c, 2, false),
                LegendKey::Dashed(c) => s.dashed((x, y + 7), (x + 24, y + 7), c, 2, 4.0, 3.0),
            }
            s.text((x + 30, y), text, &spec);
        }
    }
}
