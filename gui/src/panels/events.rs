//! The event list: every event narrated, filtered by thread and kind, the current one
//! highlighted; only the visible rows are narrated, so a million events scroll freely.

use super::narration::event_color;
use crate::app::{Action, Workbench};
use crate::model::nav::kind_name;
use crate::theme as t;
use egui::{RichText, Ui};

#[derive(Default)]
pub struct EventsState {
    pub thread: Option<usize>,
    pub kind: String,
    rows: Vec<u32>,
    key: Option<(u64, bool, Option<usize>, String)>,
    last_pos: Option<usize>,
}

impl EventsState {
    fn refresh(&mut self, app_doc: &crate::model::Loaded, generation: u64, calls: bool) {
        let key = (generation, calls, self.thread, self.kind.clone());
        if self.key.as_ref() == Some(&key) {
            return;
        }
        let kind = self.kind.trim().to_lowercase();
        let ix = &app_doc.index;
        self.rows = (0..app_doc.len())
            .filter(|&i| calls || ix.class[i] != daxlab::analysis::EventClass::Call)
            .filter(|&i| self.thread.is_none_or(|t| usize::from(ix.tid[i]) == t))
            .filter(|&i| kind.is_empty() || kind_name(&app_doc.events()[i].kind).contains(&kind))
            .map(|i| i as u32)
            .collect();
        self.key = Some(key);
        self.last_pos = None;
    }
}

pub fn show(ui: &mut Ui, app: &mut Workbench) {
    ui.label(RichText::new("Events").strong());
    filters(ui, app);
    let mut st = std::mem::take(&mut app.events);
    st.refresh(&app.doc, app.generation, app.show_calls);
    let row_h = ui.spacing().interact_size.y;
    let cur = app.pos.checked_sub(1);
    let cur_row = cur.map(|c| st.rows.partition_point(|&r| (r as usize) < c));
    let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
    if st.last_pos != Some(app.pos) {
        if let Some(r) = cur_row {
            let spacing = ui.spacing().item_spacing.y;
            area = area.vertical_scroll_offset(((r as f32) - 8.0).max(0.0) * (row_h + spacing));
        }
        st.last_pos = Some(app.pos);
    }
    let doc = &app.doc;
    let mut jump = None;
    area.show_rows(ui, row_h, st.rows.len(), |ui, range| {
        for r in range {
            let i = st.rows[r] as usize;
            let e = &doc.events()[i];
            let selected = cur == Some(i);
            let name = doc.thread_name(e.tid.index());
            let text = RichText::new(format!("{:>5} {:<3} {}", e.step, name, doc.narration(i)))
                .monospace()
                .color(if selected { egui::Color32::WHITE } else { event_color(doc, i) });
            let resp = ui.horizontal(|ui| {
                let (bar, _) = ui.allocate_exact_size(egui::vec2(4.0, row_h - 4.0), egui::Sense::hover());
                ui.painter().rect_filled(bar, 1.0, t::thread(e.tid.index()));
                ui.add(egui::Button::selectable(selected, text).truncate())
            });
            let resp_inner = resp.inner.on_hover_ui(|ui| {
                ui.label(doc.narration(i));
            });
            if resp_inner.clicked() {
                jump = Some(i + 1);
            }
        }
    });
    if let Some(p) = jump {
        app.actions.push(Action::Goto(p));
    }
    app.events = st;
}

fn filters(ui: &mut Ui, app: &mut Workbench) {
    ui.horizontal(|ui| {
        let names = app.doc.names.clone();
        let current = app.events.thread.map_or("all threads".to_string(), |t| names[t].clone());
        egui::ComboBox::new("thread-filter", "thread").selected_text(current).show_ui(ui, |ui| {
            ui.selectable_value(&mut app.events.thread, None, "all threads");
            for (i, n) in names.iter().enumerate() {
                ui.selectable_value(&mut app.events.thread, Some(i), n);
            }
        });
        ui.add(
            egui::TextEdit::singleline(&mut app.events.kind)
                .hint_text("filter by kind, e.g. insert")
                .desired_width(150.0),
        );
    });
}
