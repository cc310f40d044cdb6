//! Each thread at the cursor: what it is doing (running, runnable, spinning, sleeping,
//! done) and its call stack of kernel functions.

use crate::cache::Cached;
use crate::model::Loaded;
use crate::theme as t;
use egui::{RichText, Ui};

/// A thread's state at position `pos`, in words, with its colour.
pub fn state_of(doc: &Loaded, pos: usize, tid: usize) -> (String, egui::Color32) {
    let ix = &doc.index;
    if ix.exit_at.get(tid).copied().flatten().is_some_and(|x| (x as usize) < pos) {
        return ("done".into(), t::MUTED);
    }
    let Some(cur) = pos.checked_sub(1) else { return ("not started".into(), t::MUTED) };
    let bit = 1u64 << tid;
    if ix.sleeping[cur] & bit != 0 {
        return ("sleeping (TASK_UNINTERRUPTIBLE)".into(), t::WAKE);
    }
    if ix.spinning[cur] & bit != 0 {
        return ("spinning on a lock".into(), t::LOCK);
    }
    if usize::from(ix.tid[cur]) == tid {
        return ("running".into(), t::RESTART);
    }
    if ix.last_of_thread_before(tid, pos).is_none() {
        return ("not started".into(), t::MUTED);
    }
    ("runnable (switched out)".into(), egui::Color32::from_gray(200))
}

pub fn show(ui: &mut Ui, doc: &Loaded, cache: &Cached, pos: usize) {
    for tid in 0..doc.index.threads {
        let (state, color) = state_of(doc, pos, tid);
        ui.horizontal(|ui| {
            ui.label(RichText::new(doc.thread_name(tid)).strong().color(t::thread(tid)));
            ui.label(RichText::new(state).color(color));
        });
        let stack = cache.stacks.get(tid).map(|s| s.as_slice()).unwrap_or(&[]);
        if stack.is_empty() {
            ui.label(RichText::new("    (no kernel function)").color(t::MUTED));
        }
        for (depth, f) in stack.iter().enumerate() {
            let last = depth + 1 == stack.len();
            let text = format!("{}{}{}()", "  ".repeat(depth + 1), if last { "▸ " } else { "" }, f.name());
            let rt = RichText::new(text).monospace();
            let rt = if last { rt.strong().color(t::thread(tid)) } else { rt.color(egui::Color32::from_gray(190)) };
            ui.add(egui::Label::new(rt).wrap_mode(egui::TextWrapMode::Extend));
        }
        ui.add_space(4.0);
    }
}
