//! The engine's own source at the cursor: for each thread, the function its last event
//! came from, with a cursor per thread on that line. Threads in the same function share
//! one listing.

use crate::model::Loaded;
use crate::model::source::{enclosing_fn, file};
use crate::theme as t;
use egui::{RichText, Ui};

/// Lines shown before and after the cursors when a function is long.
const BEFORE: usize = 5;
const AFTER: usize = 14;

struct Listing {
    path: String,
    name: String,
    first: usize,
    last: usize,
    /// (thread, 1-based line, the event just run is this thread's).
    cursors: Vec<(usize, usize, bool)>,
}

pub fn show(ui: &mut Ui, doc: &Loaded, pos: usize) {
    let mut listings: Vec<Listing> = Vec::new();
    let current = pos.checked_sub(1).map(|i| usize::from(doc.index.tid[i]));
    for tid in 0..doc.index.threads {
        let Some(i) = doc.index.last_of_thread_before(tid, pos) else {
            ui.label(RichText::new(format!("{}: has not run yet", doc.thread_name(tid))).color(t::MUTED));
            continue;
        };
        let at = &doc.events()[i].at;
        let Some(text) = file(at.file()) else {
            ui.label(format!("{}: {}:{} (source not embedded)", doc.thread_name(tid), at.file(), at.line()));
            continue;
        };
        let line = at.line() as usize;
        let span = enclosing_fn(text, line);
        let (name, first, last) = span.map_or(("?".into(), line, line), |s| (s.name, s.first, s.last));
        let cursor = (tid, line, current == Some(tid));
        match listings.iter_mut().find(|l| l.path == at.file() && l.first == first) {
            Some(l) => l.cursors.push(cursor),
            None => listings.push(Listing { path: at.file().to_string(), name, first, last, cursors: vec![cursor] }),
        }
    }
    listings.sort_by_key(|l| !l.cursors.iter().any(|c| c.2));
    for l in &listings {
        listing(ui, doc, l);
        ui.add_space(8.0);
    }
}

fn listing(ui: &mut Ui, doc: &Loaded, l: &Listing) {
    let who: Vec<&str> = l.cursors.iter().map(|c| doc.thread_name(c.0)).collect();
    ui.label(RichText::new(format!("{}() — {}  [{}]", l.name, l.path, who.join(", "))).strong());
    let Some(text) = file(&l.path) else { return };
    let lines: Vec<&str> = text.lines().collect();
    let lo_cur = l.cursors.iter().map(|c| c.1).min().unwrap_or(l.first);
    let hi_cur = l.cursors.iter().map(|c| c.1).max().unwrap_or(l.last);
    let from = l.first.max(lo_cur.saturating_sub(BEFORE)).max(1);
    let to = l.last.min(hi_cur + AFTER).min(lines.len());
    if from > l.first {
        ui.label(RichText::new("   ...").monospace().color(t::MUTED));
    }
    for n in from..=to {
        let here: Vec<&(usize, usize, bool)> = l.cursors.iter().filter(|c| c.1 == n).collect();
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            let marks: String = here.iter().map(|c| doc.thread_name(c.0)).collect::<Vec<_>>().join(",");
            let mark_color = here.first().map_or(t::MUTED, |c| t::thread(c.0));
            ui.add_sized(
                [46.0, 14.0],
                egui::Label::new(RichText::new(format!("{marks:>5}")).monospace().color(mark_color)),
            );
            ui.label(RichText::new(format!("{n:>4}")).monospace().color(t::MUTED));
            let code = RichText::new(lines.get(n - 1).copied().unwrap_or("")).monospace();
            let code = match here.first() {
                Some(c) if c.2 => code.color(egui::Color32::WHITE).background_color(t::dim(t::thread(c.0), 90)),
                Some(c) => code.color(egui::Color32::WHITE).background_color(t::dim(t::thread(c.0), 45)),
                None => code.color(egui::Color32::from_gray(175)),
            };
            ui.label(code);
        });
    }
    if to < l.last {
        ui.label(RichText::new("   ...").monospace().color(t::MUTED));
    }
}
