//! The toolbar: scenario, kernel, mode, files, and the step controls.

use super::kernel_pick::Picker;
use crate::app::{Action, Mode, Workbench};
use crate::model::nav::{KIND_NAMES, Target};
use crate::theme as t;
use daxlab::Kernel;
use daxlab::check::OnWarn;
use egui::{RichText, Ui};

pub fn show(ui: &mut Ui, app: &mut Workbench) {
    ui.add_space(2.0);
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("daxlab").strong().size(18.0));
        scenario_picker(ui, app);
        ui.separator();
        kernel_picker(ui, app);
        warn_setting(ui, app);
        ui.separator();
        for m in Mode::ALL {
            if ui.selectable_label(app.mode == m, m.label()).clicked() {
                app.actions.push(Action::SetMode(m));
            }
        }
        ui.separator();
        files(ui, app);
    });
    ui.horizontal_wrapped(|ui| {
        stepping(ui, app);
        ui.separator();
        targets(ui, app);
    });
    message(ui, app);
    ui.add_space(2.0);
}

fn scenario_picker(ui: &mut Ui, app: &mut Workbench) {
    let current = app.doc.scenario.name.clone();
    egui::ComboBox::from_id_salt("scenario")
        .selected_text(format!("scenario: {current}"))
        .show_ui(ui, |ui| {
            for (name, _) in daxlab::scenario::BUILTINS {
                if ui.selectable_label(*name == current, *name).clicked() {
                    app.actions.push(Action::LoadScenario(name.to_string()));
                }
            }
        })
        .response
        .on_hover_text(app.doc.scenario.description.clone());
}

/// `v4.11 (fixed)`, `v4.12`: a release as the picker lists it.
pub fn release_label(k: Kernel) -> String {
    match k.alias() {
        Some(a) => format!("{} ({a})", k.release),
        None => k.to_string(),
    }
}

/// The kernel on screen: picking a release or switching a fix replays the interleaving on
/// screen there.
fn kernel_picker(ui: &mut Ui, app: &mut Workbench) {
    let picker = Picker {
        id: "kernel-picker",
        label: "kernel",
        fixes: "fixes ▾",
        hover: "replay the same interleaving on this kernel (the cursor stays on the matching event)",
    };
    if let Some(k) = picker.show(ui, app.doc.kernel()) {
        app.actions.push(Action::SwitchKernel(k));
    }
}

/// What a WARN does in the runs on screen: the scenario's `on_warn`, which a trace embeds.
fn warn_setting(ui: &mut Ui, app: &Workbench) {
    let on_warn = app.doc.scenario.on_warn;
    let hover = match on_warn {
        OnWarn::Stop => "on_warn = \"stop\": the run ends at the first WARN, as with panic_on_warn",
        OnWarn::Continue => "on_warn = \"continue\": each WARN is recorded and the kernel carries on past it",
    };
    ui.label(RichText::new(format!("on WARN: {on_warn}")).color(t::MUTED)).on_hover_text(hover);
}

/// The checked-in witnesses: `traces/` under the current directory, else the workspace's.
#[cfg(not(target_arch = "wasm32"))]
pub fn checked_in_traces() -> Vec<std::path::PathBuf> {
    let here = std::path::PathBuf::from("traces");
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces");
    let dir = if here.is_dir() { here } else { built };
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "daxtrace")).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// The checked-in witnesses, built into the page.
#[cfg(target_arch = "wasm32")]
pub fn checked_in_traces() -> Vec<std::path::PathBuf> {
    crate::model::CHECKED_IN_TRACES.iter().map(|(name, _)| std::path::Path::new("traces").join(name)).collect()
}

#[cfg(not(target_arch = "wasm32"))]
const SAVE_HINT: &str = "save as …(.daxtrace / .json)";
/// A page cannot write files: Save downloads the trace under this name.
#[cfg(target_arch = "wasm32")]
const SAVE_HINT: &str = "download as …(.daxtrace / .json)";

#[cfg(not(target_arch = "wasm32"))]
fn open_box(ui: &mut Ui, app: &mut Workbench) {
    let open =
        ui.add(egui::TextEdit::singleline(&mut app.open_path).hint_text("trace file to open").desired_width(160.0));
    let enter = open.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    if (ui.button("Open").clicked() || enter) && !app.open_path.trim().is_empty() {
        app.actions.push(Action::Open(app.open_path.trim().into()));
    }
}

/// A page cannot read files by path; a trace file dropped on it is opened.
#[cfg(target_arch = "wasm32")]
fn open_box(ui: &mut Ui, _: &mut Workbench) {
    ui.label(RichText::new("or drop a trace file here").color(t::MUTED));
}

fn files(ui: &mut Ui, app: &mut Workbench) {
    egui::ComboBox::new("checked-in", "or").selected_text("a checked-in trace").width(150.0).show_ui(ui, |ui| {
        for p in checked_in_traces() {
            let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            if ui.selectable_label(false, name).clicked() {
                app.actions.push(Action::Open(p));
            }
        }
    });
    open_box(ui, app);
    ui.add(egui::TextEdit::singleline(&mut app.save_path).hint_text(SAVE_HINT).desired_width(160.0));
    if ui.button("Save").clicked() {
        if app.save_path.trim().is_empty() {
            app.say("type a file name to save to, e.g. my-branch.daxtrace", true);
        } else {
            app.actions.push(Action::Save(app.save_path.trim().into()));
        }
    }
}

fn stepping(ui: &mut Ui, app: &mut Workbench) {
    let (doc, pos, calls) = (&app.doc, app.pos, app.show_calls);
    if ui.button("|◀ start").on_hover_text("Home").clicked() {
        app.actions.push(Action::Goto(0));
    }
    if ui.button("◀ back").on_hover_text("← (left arrow)").clicked() {
        app.actions.push(Action::Goto(doc.step_back(pos, calls)));
    }
    if ui.button("forward ▶").on_hover_text("→ (right arrow)").clicked() {
        app.actions.push(Action::Goto(doc.step_forward(pos, calls)));
    }
    if ui.button("end ▶|").on_hover_text("End").clicked() {
        app.actions.push(Action::Goto(doc.len()));
    }
    let play = if app.play.playing { "pause" } else { "play ▶" };
    if ui.button(play).on_hover_text("Space").clicked() {
        app.actions.push(Action::TogglePlay);
    }
    ui.add(egui::Slider::new(&mut app.play.speed, 0.5..=2000.0).logarithmic(true).text("events/s"));
    let step = doc.step_at(pos);
    let label = if pos == 0 {
        format!("step 0 · nothing has run yet · {} events", doc.len())
    } else {
        format!("step {step} · event {pos} of {}", doc.len())
    };
    ui.label(RichText::new(label).strong().monospace());
    let mut go = step;
    let r = ui.add(egui::DragValue::new(&mut go).range(0..=doc.header.steps).prefix("go to step "));
    if r.changed() {
        app.actions.push(Action::Goto(doc.pos_of_step(go)));
    }
    ui.checkbox(&mut app.show_calls, "stop at calls").on_hover_text("also step through function entries and exits");
}

fn targets(ui: &mut Ui, app: &mut Workbench) {
    ui.label("run to next:");
    for target in Target::QUICK {
        let color = match target {
            Target::Eexist => t::EEXIST,
            Target::Restart => t::RESTART,
            Target::Fallback => t::FALLBACK,
            Target::Bug => t::BUG,
            _ => t::WAIT,
        };
        let r = ui.button(RichText::new(format!("next {}", target.label())).color(color)).on_hover_text(format!(
            "key {}; shift-click or shift+{}: the previous one",
            shortcut(target),
            shortcut(target)
        ));
        if r.clicked() {
            let shift = ui.input(|i| i.modifiers.shift);
            app.actions.push(if shift { Action::Prev(target) } else { Action::Next(target) });
        }
    }
    egui::ComboBox::new("kind", "of kind").selected_text(app.kind_target).width(130.0).show_ui(ui, |ui| {
        for k in KIND_NAMES {
            ui.selectable_value(&mut app.kind_target, k, *k);
        }
    });
    if ui.button("next of kind").clicked() {
        app.actions.push(Action::Next(Target::Kind(app.kind_target)));
    }
    if ui.button("next preemption").clicked() {
        app.actions.push(Action::Next(Target::Preemption));
    }
}

fn shortcut(t: Target) -> &'static str {
    match t {
        Target::Eexist => "E",
        Target::Restart => "R",
        Target::Fallback => "F",
        Target::Wait => "W",
        Target::Bug => "B",
        _ => "",
    }
}

fn message(ui: &mut Ui, app: &mut Workbench) {
    let Some(m) = app.message.clone() else { return };
    ui.horizontal(|ui| {
        let color = if m.error { t::EEXIST } else { t::RESTART };
        let prefix = if m.error { "Error: " } else { "" };
        ui.label(RichText::new(format!("{prefix}{}", m.text)).color(color));
        if ui.small_button("dismiss").clicked() {
            app.message = None;
        }
    });
}
