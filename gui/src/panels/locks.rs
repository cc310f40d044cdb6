//! Locks and waits at the cursor: tree_lock, the rwsems, the DAX entry locks (and which
//! thread took each), the hashed wait table, hole-page locks, and each thread's preemption
//! and preload state.

use crate::cache::Cached;
use crate::model::Loaded;
use crate::theme as t;
use daxlab::dax::decode_entry;
use egui::{RichText, Ui};

pub fn show(ui: &mut Ui, doc: &Loaded, cache: &Cached, pos: usize) {
    let s = &cache.snap;
    let name = |t: daxlab::Tid| doc.thread_name(t.index()).to_string();
    let holder = s.tree_lock.map_or("free".to_string(), |h| format!("held by {}", name(h)));
    let color = if s.tree_lock.is_some() { t::LOCK } else { t::MUTED };
    let mark = if cache.changed.tree_lock { "  ← changed" } else { "" };
    ui.label(RichText::new(format!("tree_lock (spin_lock_irq): {holder}{mark}")).color(color).strong());
    let spinning = doc.index.spinning.get(pos.wrapping_sub(1)).copied().unwrap_or(0);
    for tid in (0..doc.index.threads).filter(|t| spinning & (1 << t) != 0) {
        ui.label(RichText::new(format!("  {} spins, waiting for it", doc.thread_name(tid))).color(t::WAIT));
    }
    rwsem(ui, "mmap_sem", s.mmap_sem, doc);
    rwsem(ui, "i_rwsem", s.i_rwsem, doc);
    ui.separator();
    entry_locks(ui, doc, cache);
    waiters(ui, doc, cache);
    for (page, t) in &s.page_locks {
        ui.label(format!("hole page#{page} locked by {}", name(*t)));
    }
    ui.separator();
    tasks(ui, doc, cache);
}

fn rwsem(ui: &mut Ui, what: &str, (readers, writer): (u32, Option<daxlab::Tid>), doc: &Loaded) {
    let text = match (readers, writer) {
        (0, None) => format!("{what}: free"),
        (r, None) => format!("{what}: {r} reader(s)"),
        (_, Some(w)) => format!("{what}: written by {}", doc.thread_name(w.index())),
    };
    ui.label(text);
}

fn entry_locks(ui: &mut Ui, doc: &Loaded, cache: &Cached) {
    if cache.locked.is_empty() {
        ui.label(RichText::new("no DAX entry is locked").color(t::MUTED));
    }
    for &(first, order, v, owner) in cache.locked.iter().take(50) {
        let owner = owner.map_or("?", |t| doc.thread_name(t));
        let range =
            if order == 0 { format!("{first:#x}") } else { format!("{first:#x}–{:#x}", first + (1 << order) - 1) };
        ui.label(
            RichText::new(format!("entry {range} = {v:#x} ({}) locked by {owner}", decode_entry(v))).color(t::LOCK),
        );
    }
}

fn waiters(ui: &mut Ui, doc: &Loaded, cache: &Cached) {
    let s = &cache.snap;
    if s.waiters.is_empty() {
        ui.label(RichText::new("wait table: nobody sleeps").color(t::MUTED));
    }
    for (bucket, ws) in &s.waiters {
        for w in ws {
            let kind = if w.exclusive { "exclusive" } else { "shared" };
            ui.label(
                RichText::new(format!(
                    "wait table bucket {bucket}: {} sleeps on entry key {:#x} ({kind})",
                    doc.thread_name(w.tid.index()),
                    w.key.index
                ))
                .color(t::WAKE),
            );
        }
    }
}

fn tasks(ui: &mut Ui, doc: &Loaded, cache: &Cached) {
    egui::Grid::new("tasks").striped(true).show(ui, |ui| {
        ui.label(RichText::new("thread").strong());
        ui.label(RichText::new("preempt_count").strong());
        ui.label(RichText::new("preload pool").strong());
        ui.label(RichText::new("state").strong());
        ui.end_row();
        for (i, task) in cache.snap.tasks.iter().enumerate() {
            let changed = cache.changed.tasks.contains(&i);
            let c = if changed { t::CHANGED } else { egui::Color32::from_gray(220) };
            ui.label(RichText::new(doc.thread_name(i)).color(t::thread(i)));
            let off = if task.preempt_count > 0 { " (preemption off)" } else { "" };
            ui.label(RichText::new(format!("{}{off}", task.preempt_count)).color(c));
            ui.label(RichText::new(format!("{} node(s)", task.preload_nr)).color(c));
            ui.label(RichText::new(format!("{:?}", task.state)).color(c));
            ui.end_row();
        }
    });
}
