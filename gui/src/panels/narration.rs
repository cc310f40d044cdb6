//! What the step means: the engine's sentence for the event just run, the race annotations
//! in plain words (each a link to its step), and a short guided tour for a first look.

use crate::app::{Action, Workbench};
use crate::model::Loaded;
use crate::theme as t;
use daxlab::Fix;
use daxlab::analysis::{EexistKind, EventClass};
use egui::{Color32, RichText, Ui};

pub fn show(ui: &mut Ui, app: &mut Workbench) {
    if let Some(banner) = &app.doc.banner {
        ui.label(RichText::new(format!("{banner}. Shown: the replay.")).color(t::BUG).strong().size(17.0));
    }
    current(ui, &app.doc, app.pos);
    why(ui, &app.doc, app.pos);
    let paused = app.mode == crate::app::Mode::Scheduler && app.sched.as_ref().is_some_and(|s| s.ex.paused.is_some());
    ui.horizontal_wrapped(|ui| {
        if paused {
            ui.label(
                RichText::new("your schedule, in progress: pick who runs next (right)").color(t::WINDOW_EDGE).strong(),
            );
        } else {
            outcome(ui, &app.doc);
        }
        ui.separator();
        in_window(ui, &app.doc, app.pos);
    });
    ui.horizontal_wrapped(|ui| tour(ui, app));
    ui.collapsing("Race annotations", |ui| annotations(ui, app));
}

/// The colour that says what kind of event this is (the race's landmarks only).
pub fn event_color(doc: &Loaded, i: usize) -> Color32 {
    let c = doc.index.class[i];
    if c.is_landmark() { t::class_color(c) } else { Color32::from_gray(235) }
}

fn current(ui: &mut Ui, doc: &Loaded, pos: usize) {
    let (head, text, color) = match pos.checked_sub(1) {
        None => (
            "step 0".to_string(),
            format!(
                "{} — nothing has run yet. Press → (or \"forward ▶\") to run the first event, or jump with the buttons below.",
                doc.scenario.description
            ),
            Color32::from_gray(235),
        ),
        Some(i) => {
            let e = &doc.events()[i];
            (format!("step {} · {}", e.step, doc.thread_name(e.tid.index())), doc.narration(i), event_color(doc, i))
        }
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(head).strong().size(17.0));
        ui.label(RichText::new(text).size(17.0).color(color));
    });
    if let Some(next) = doc.events().get(pos..).and_then(|r| r.iter().position(|e| !is_call(e))).map(|k| pos + k) {
        let e = &doc.events()[next];
        let line = format!("next (step {}): {}", e.step, doc.narration(next));
        ui.label(RichText::new(line).color(t::MUTED));
    }
}

/// For an -EEXIST (or where the fix averts one): which insert, inside which window, caused it.
fn why(ui: &mut Ui, doc: &Loaded, pos: usize) {
    let Some(e) = pos.checked_sub(1).map(|i| &doc.events()[i]) else { return };
    let Some(x) = doc.analysis.eexist.iter().find(|x| x.step == e.step && x.tid == e.tid) else { return };
    if !matches!(doc.index.class[pos - 1], EventClass::Eexist | EventClass::Counterfactual) {
        return;
    }
    let me = doc.thread_name(x.tid.index());
    let text = match (&x.cause, doc.analysis.windows.iter().rev().find(|w| w.tid == x.tid && w.open < x.step)) {
        (Some(cause), Some(w)) => {
            let by = doc.thread_name(cause.tid.index());
            let kind = if cause.order == 0 { "4 KiB" } else { "PMD" };
            let close = w.close.map_or("now".to_string(), |c| c.to_string());
            let then = match x.kind {
                EexistKind::Actual => format!(
                    "v4.11-rc5 does not look again after retaking tree_lock, so {me}'s insert runs into that entry."
                ),
                EexistKind::Counterfactual => format!(
                    "The fix looks {:#x} up again after retaking tree_lock, finds {by}'s entry, and {me} restarts instead of colliding.",
                    x.index
                ),
            };
            format!(
                "Why: while {me} had dropped tree_lock to preload (steps {}–{close}), {by} inserted a {kind} entry at {:#x} (step {}). {then}",
                w.open, cause.index, cause.step
            )
        }
        _ => format!("Why: a 4 KiB entry already sat in the range of {:#x}: a legitimate collision.", x.index),
    };
    ui.label(RichText::new(text).color(t::WINDOW_EDGE).size(15.0));
}

fn is_call(e: &daxlab::trace::Event) -> bool {
    matches!(e.kind, daxlab::trace::EventKind::Enter { .. } | daxlab::trace::EventKind::Exit { .. })
}

fn outcome(ui: &mut Ui, doc: &Loaded) {
    let o = &doc.header.outcome;
    let label = doc.outcome_line();
    let color = if o.is_failure() { t::BUG } else { t::RESTART };
    let kernel = doc.kernel().describe();
    ui.label(RichText::new(format!("{kernel}: outcome {label}")).color(color).strong())
        .on_hover_text(format!("{} preemption(s), {} steps", doc.header.preemptions, doc.header.steps));
}

/// Plain words for where the cursor is relative to the race windows.
fn in_window(ui: &mut Ui, doc: &Loaded, pos: usize) {
    let Some(cur) = pos.checked_sub(1) else { return };
    let open = doc.index.windows.iter().find(|w| (w.open as usize) <= cur && cur < w.close as usize);
    let Some(w) = open else { return };
    let who = doc.thread_name(usize::from(w.tid));
    let step_of = |i: u32| doc.events()[i as usize].step;
    let mut text = format!(
        "Inside {who}'s race window (since step {}): it found nothing at {:#x} and dropped tree_lock to preload, so nothing stops another thread from inserting there.",
        step_of(w.open),
        w.index
    );
    if let Some(&x) = w.intruders.iter().find(|&&x| (x as usize) <= cur) {
        let by = doc.thread_name(usize::from(doc.index.tid[x as usize]));
        text.push_str(&format!(" {by} already did, at step {}; {who} cannot see it yet.", step_of(x)));
    }
    ui.label(RichText::new(text).color(t::WINDOW_EDGE));
}

/// Buttons that walk a first-time user through the race in this trace.
fn tour(ui: &mut Ui, app: &mut Workbench) {
    let doc = &app.doc;
    ui.label(RichText::new("Tour:").strong());
    let mut n = 0;
    let mut stop = |ui: &mut Ui, label: &str, pos: Option<usize>, actions: &mut Vec<Action>| {
        if let Some(p) = pos {
            n += 1;
            if ui.button(format!("{n}. {label}")).clicked() {
                actions.push(Action::Goto(p));
            }
        }
    };
    let w = doc.index.windows.iter().find(|w| !w.intruders.is_empty()).or(doc.index.windows.first());
    let mut acts = Vec::new();
    stop(ui, "the race window opens", w.map(|w| w.open as usize + 1), &mut acts);
    stop(ui, "another thread slips in", w.and_then(|w| w.intruders.first()).map(|&x| x as usize + 1), &mut acts);
    let find = |c: EventClass| doc.index.first_of(c).map(|i| i + 1);
    if doc.kernel().has(Fix::RadixTreeInsertionRace) {
        stop(ui, "the fix's re-lookup sees the entry", find(EventClass::Counterfactual), &mut acts);
        stop(ui, "restart", find(EventClass::Restart), &mut acts);
    } else {
        stop(ui, "-EEXIST", find(EventClass::Eexist), &mut acts);
        stop(ui, "fallback to 4 KiB", find(EventClass::Fallback), &mut acts);
        stop(ui, "the BUG", find(EventClass::Bug), &mut acts);
    }
    let other = doc.kernel().counterpart();
    let label = if other < doc.kernel() {
        format!("← same interleaving on the {} kernel", other.label())
    } else {
        format!("same interleaving on the {} kernel →", other.label())
    };
    if ui.button(RichText::new(label).color(t::RESTART)).clicked() {
        acts.push(Action::SwitchKernel(other));
    }
    app.actions.extend(acts);
}

fn eexist_text(doc: &Loaded, x: &daxlab::analysis::EexistPoint) -> String {
    let name = |t: daxlab::Tid| doc.thread_name(t.index()).to_string();
    let cause = x
        .cause
        .as_ref()
        .map_or(String::from("a legitimate collision"), |c| format!("{}'s insert at step {}", name(c.tid), c.step));
    match x.kind {
        EexistKind::Actual => {
            format!("-EEXIST: {} at step {}, index {:#x}, caused by {cause}.", name(x.tid), x.step, x.index)
        }
        EexistKind::Counterfactual => format!(
            "Where v4.11-rc5 would get -EEXIST: {} at step {}, index {:#x} (caused by {cause}); the fix's re-lookup sees the entry instead.",
            name(x.tid),
            x.step,
            x.index
        ),
    }
}

fn annotations(ui: &mut Ui, app: &mut Workbench) {
    let doc = &app.doc;
    let name = |t: daxlab::Tid| doc.thread_name(t.index()).to_string();
    let mut acts = Vec::new();
    let mut link = |ui: &mut Ui, text: String, color: Color32, step: u32| {
        if ui.link(RichText::new(text).color(color)).clicked() {
            acts.push(Action::Goto(doc.pos_of_step(step)));
        }
    };
    let total = doc.analysis.windows.len() + doc.analysis.eexist.len() + doc.analysis.restarts.len();
    if total > 300 {
        ui.label(format!("{total} annotations; the first 100 of each kind:"));
    }
    for w in doc.analysis.windows.iter().take(100) {
        let close = w.close.map_or("the end".to_string(), |c| format!("step {c}"));
        let mut s = format!("Race window: {} at index {:#x}, from step {} to {close}.", name(w.tid), w.index, w.open);
        for x in &w.intruders {
            s.push_str(&format!(
                " {} inserted an order-{} entry at {:#x} inside it (step {}).",
                name(x.tid),
                x.order,
                x.index,
                x.step
            ));
        }
        link(ui, s, t::WINDOW_EDGE, w.open);
    }
    for x in doc.analysis.eexist.iter().take(100) {
        let color = if x.kind == EexistKind::Actual { t::EEXIST } else { t::COUNTERFACTUAL };
        link(ui, eexist_text(doc, x), color, x.step);
    }
    for (tid, step, index, reason) in doc.analysis.restarts.iter().take(100) {
        link(
            ui,
            format!("Restart: {} at step {step} restarts grab_mapping_entry({index:#x}) ({reason:?}).", name(*tid)),
            t::RESTART,
            *step,
        );
    }
    for (tid, step, reason) in doc.analysis.fallbacks.iter().take(100) {
        link(
            ui,
            format!("Fallback: {}'s PMD fault falls back to 4 KiB at step {step} ({reason:?}).", name(*tid)),
            t::FALLBACK,
            *step,
        );
    }
    app.actions.extend(acts);
}
