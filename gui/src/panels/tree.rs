//! The radix tree at the cursor, drawn as its nodes: 64 slots each, in an 8 × 8 grid. A PMD
//! entry's canonical slot and its 7 sibling slots are drawn as one entry covering 512
//! indices; locked entries have an orange frame, entries the event just changed glow.

use crate::cache::Cached;
use crate::model::Loaded;
use crate::theme as t;
use daxlab::dax::{dax_is_locked, dax_is_pmd_entry, decode_entry};
use daxlab::radix::{Item, NodeView, SlotView};
use egui::{Align2, Color32, FontId, Rect, RichText, Sense, Stroke, Ui, Vec2};

const COLS: usize = 8;
const ROW_H: f32 = 32.0;

pub fn show(ui: &mut Ui, doc: &Loaded, cache: &Cached) {
    let s = &cache.snap;
    let nodes = &cache.nodes;
    ui.label(format!(
        "nrexceptional {} · nrpages {} · {} node(s){}",
        s.nrexceptional,
        s.nrpages,
        nodes.len(),
        if cache.changed.entries.is_empty() { "" } else { " · changed by this event: glowing" }
    ));
    if let Some(item) = s.tree.root_item() {
        ui.label(format!("root holds one entry directly: {}", daxlab::trace::entry_str(item)));
    }
    if nodes.is_empty() && s.tree.root_item().is_none() {
        ui.label(RichText::new("(empty: no entry yet)").color(t::MUTED));
    }
    for n in nodes {
        node(ui, n, cache);
        ui.add_space(6.0);
    }
    let _ = doc;
}

fn node(ui: &mut Ui, n: &NodeView, cache: &Cached) {
    let span = 64u64 << n.shift;
    let last = n.first_index + span - 1;
    let indent = 12.0 * n.depth as f32;
    ui.horizontal(|ui| {
        ui.add_space(indent);
        ui.label(
            RichText::new(format!(
                "node #{} · shift {} · indices {:#x}–{last:#x} · {} used ({} exceptional)",
                n.serial, n.shift, n.first_index, n.count, n.exceptional
            ))
            .small(),
        );
    });
    let width = (ui.available_width() - indent).max(200.0);
    let (rect, _) = ui.allocate_exact_size(Vec2::new(width + indent, ROW_H * 8.0), Sense::hover());
    if !ui.is_rect_visible(rect) {
        return;
    }
    let grid = Rect::from_min_size(rect.min + Vec2::new(indent, 0.0), Vec2::new(width, ROW_H * 8.0));
    let cell_w = width / COLS as f32;
    for row in 0..8 {
        let mut col = 0;
        while col < COLS {
            let off = row * COLS + col;
            let run = sibling_run(&n.slots, off, COLS - col);
            let r = Rect::from_min_size(
                grid.min + Vec2::new(col as f32 * cell_w, row as f32 * ROW_H),
                Vec2::new(cell_w * run as f32, ROW_H),
            )
            .shrink(1.5);
            let slot_first = n.first_index + ((off as u64) << n.shift);
            let resp = ui.interact(r, ui.scope_id().with((n.serial, off)), Sense::hover());
            cell(ui, r, n, off, run, slot_first, cache);
            if let Some(tip) = tooltip(n, off, run, slot_first) {
                resp.on_hover_text(tip);
            }
            col += run;
        }
    }
}

/// How many slots from `off` form one entry: the canonical slot and its siblings.
fn sibling_run(slots: &[SlotView], off: usize, max: usize) -> usize {
    if !matches!(slots[off], SlotView::Item(_)) {
        return 1;
    }
    1 + slots[off + 1..off + max].iter().take_while(|s| **s == SlotView::Sibling(off as u8)).count()
}

fn cell(ui: &Ui, r: Rect, n: &NodeView, off: usize, run: usize, first: u64, cache: &Cached) {
    let p = ui.painter();
    let font = FontId::monospace(11.0);
    match n.slots[off] {
        SlotView::Empty => {
            p.rect_filled(r, 2.0, Color32::from_gray(34));
            p.text(
                r.left_top() + Vec2::new(2.0, 1.0),
                Align2::LEFT_TOP,
                off.to_string(),
                FontId::proportional(8.0),
                Color32::from_gray(80),
            );
        }
        SlotView::Node(serial) => {
            p.rect_filled(r, 2.0, Color32::from_rgb(40, 52, 70));
            p.text(r.center(), Align2::CENTER_CENTER, format!("→ #{serial}"), font, Color32::from_rgb(150, 180, 230));
        }
        SlotView::Sibling(c) => {
            p.rect_filled(r, 2.0, Color32::from_rgb(50, 42, 70));
            p.text(r.center(), Align2::CENTER_CENTER, format!("sib→{c}"), FontId::proportional(9.0), t::MUTED);
        }
        SlotView::Item(item) => {
            let changed = cache.changed.entries.contains(&first);
            entry_cell(ui, r, item, run, n.shift, changed);
        }
    }
}

fn entry_cell(ui: &Ui, r: Rect, item: Item, run: usize, shift: u32, changed: bool) {
    let p = ui.painter();
    let (fill, text, locked) = match item {
        Item::Exceptional(v) => {
            let fill = if dax_is_pmd_entry(v) { Color32::from_rgb(88, 60, 130) } else { Color32::from_rgb(40, 92, 88) };
            let covers = (run as u64) << shift;
            let text = if run > 1 {
                format!("{v:#x} = {}\none entry: {covers} indices", decode_entry(v))
            } else {
                let short =
                    decode_entry(v).replace("locked ", "L ").replace("sector ", "s").replace("huge zero page", "zero");
                format!("{v:#x}\n{short}")
            };
            (fill, text, dax_is_locked(v))
        }
        Item::Page(pg) => (Color32::from_rgb(70, 70, 40), format!("page#{pg}"), false),
    };
    p.rect_filled(r, 3.0, fill);
    let font = FontId::monospace(if run > 1 { 11.0 } else { 9.0 });
    p.with_clip_rect(r).text(r.center(), Align2::CENTER_CENTER, text, font, Color32::WHITE);
    if locked {
        p.rect_stroke(r, 3.0, Stroke::new(2.5, t::LOCK), egui::StrokeKind::Inside);
    }
    if changed {
        p.rect_stroke(r.expand(1.0), 3.0, Stroke::new(2.0, t::CHANGED), egui::StrokeKind::Outside);
    }
}

fn tooltip(n: &NodeView, off: usize, run: usize, first: u64) -> Option<String> {
    let last = first + ((run as u64) << n.shift) - 1;
    match n.slots[off] {
        SlotView::Item(Item::Exceptional(v)) => Some(format!(
            "slot {off} of node #{}: indices {first:#x}–{last:#x}\nentry {v:#x} = {}\n(bits: exceptional 0x2, lock 0x4, PMD 0x8, zero 0x10, empty 0x20, sector from bit 6)",
            n.serial,
            decode_entry(v)
        )),
        SlotView::Item(Item::Page(pg)) => Some(format!("slot {off}: index {first:#x}: hole page#{pg} (a struct page)")),
        SlotView::Node(s) => Some(format!("slot {off}: child node #{s} for indices {first:#x}–{last:#x}")),
        SlotView::Sibling(c) => Some(format!("slot {off}: sibling of slot {c}")),
        SlotView::Empty => None,
    }
}
