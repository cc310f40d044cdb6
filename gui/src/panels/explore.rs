//! Explore: run an exploration of any scenario on a background thread (progress through a
//! channel, cancellable), show the outcome table, open any witness.

use super::toolbar::release_label;
use crate::app::{Action, Workbench};
use crate::model::{Loaded, Origin};
use crate::theme as t;
use crossbeam_channel::{Receiver, TryRecvError};
use daxlab::Kernel;
use daxlab::Scenario;
use daxlab::explore::{ExploreConfig, ExploreReport, OutcomeRow, Reduction, Strategy, explore, witness_trace};
use daxlab::trace::RecordMode;
use egui::{RichText, Ui};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use web_time::Instant;

enum Msg {
    Progress(u64),
    Done(Box<ExploreReport>),
}

struct Running {
    rx: Receiver<Msg>,
    cancel: Arc<AtomicBool>,
    started: Instant,
    progress: u64,
}

pub struct ExploreState {
    /// A built-in name or a path to a scenario file.
    pub scenario: String,
    pub kernel: Kernel,
    pub random: bool,
    pub bound: u32,
    pub reduction: Reduction,
    pub runs: u64,
    pub seed: u64,
    running: Option<Running>,
    pub result: Option<(Scenario, ExploreReport)>,
    pub error: Option<String>,
}

impl Default for ExploreState {
    fn default() -> Self {
        ExploreState {
            scenario: "seed-race".into(),
            kernel: Kernel::UNFIXED,
            random: false,
            bound: 2,
            reduction: Reduction::default(),
            runs: 5000,
            seed: 7,
            running: None,
            result: None,
            error: None,
        }
    }
}

impl ExploreState {
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Starts the exploration on a background thread.
    pub fn start(&mut self, ctx: &egui::Context) {
        let sc = match Scenario::load(self.scenario.trim()) {
            Ok(sc) => sc,
            Err(e) => {
                self.error = Some(e.to_string());
                return;
            }
        };
        let strategy = if self.random {
            Strategy::Random { runs: self.runs, seed: self.seed }
        } else {
            Strategy::Exhaustive { preemptions: self.bound }
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let cfg = ExploreConfig {
            strategy,
            cancel: Some(cancel.clone()),
            reduction: self.reduction,
            ..ExploreConfig::exhaustive(self.kernel, self.bound)
        };
        let (tx, rx) = crossbeam_channel::unbounded();
        let ctx = ctx.clone();
        let thread_sc = sc.clone();
        in_background(move || {
            let progress_tx = tx.clone();
            let progress_ctx = ctx.clone();
            let report = explore(&thread_sc, &cfg, &mut |n| {
                let _ = progress_tx.send(Msg::Progress(n));
                progress_ctx.request_repaint();
            });
            let _ = tx.send(Msg::Done(Box::new(report)));
            ctx.request_repaint();
        });
        self.error = None;
        self.result = Some((sc, empty_report()));
        self.running = Some(Running { rx, cancel, started: Instant::now(), progress: 0 });
    }

    pub fn cancel(&mut self) {
        if let Some(r) = &self.running {
            r.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Takes what the background thread sent; true while it is still running.
    pub fn poll(&mut self, _ctx: &egui::Context) -> bool {
        while let Some(r) = self.running.as_ref() {
            match r.rx.try_recv() {
                Ok(msg) => self.take(Some(msg)),
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => self.take(None),
            }
        }
        false
    }

    /// Blocks until a running exploration has reported (for tests: no deadline, no
    /// polling).
    pub fn wait(&mut self) {
        while let Some(r) = self.running.as_ref() {
            let msg = r.rx.recv().ok();
            self.take(msg);
        }
    }

    /// One message from the background thread (None: it stopped without a report).
    fn take(&mut self, msg: Option<Msg>) {
        match msg {
            Some(Msg::Progress(n)) => {
                if let Some(r) = self.running.as_mut() {
                    r.progress = n;
                }
            }
            Some(Msg::Done(report)) => {
                if let Some((_, slot)) = self.result.as_mut() {
                    *slot = *report;
                }
                self.running = None;
            }
            None => {
                self.error = Some("the exploration thread stopped without a report".into());
                self.running = None;
            }
        }
    }
}

fn empty_report() -> ExploreReport {
    ExploreReport {
        scenario: String::new(),
        kernel: Kernel::UNFIXED,
        strategy: String::new(),
        bound: None,
        reduction: Reduction::None,
        executions: 0,
        steps: 0,
        abandoned: 0,
        traces: None,
        elapsed: std::time::Duration::ZERO,
        complete: false,
        rows: Vec::new(),
    }
}

pub fn show(ui: &mut Ui, app: &mut Workbench) {
    ui.label(RichText::new("Explore a scenario").strong().size(16.0));
    settings(ui, app);
    ui.separator();
    status(ui, &app.explore);
    if let Some(e) = &app.explore.error {
        ui.label(RichText::new(e).color(t::EEXIST));
    }
    let mut open = None;
    if let Some((sc, report)) = &app.explore.result
        && !report.rows.is_empty()
    {
        open = table(ui, report).map(|row| (sc.clone(), report.kernel, row.clone()));
    }
    if let Some((sc, v, row)) = open {
        let what = format!("{} · {} · witness of {}", sc.name, v, row.label);
        let mode = RecordMode::Explored { strategy: "explore".into(), bound: None, seed: row.witness.seed };
        match witness_trace(&sc, v, &row.witness, mode) {
            Ok(trace) => {
                app.actions.push(Action::Load(Box::new(Loaded::made(trace, Origin::Made(what))), 0));
                app.actions.push(Action::SetMode(crate::app::Mode::Trace));
            }
            Err(e) => app.explore.error = Some(e.to_string()),
        }
    }
}

fn settings(ui: &mut Ui, app: &mut Workbench) {
    let st = &mut app.explore;
    ui.horizontal_wrapped(|ui| {
        egui::ComboBox::new("explore-scenario", "scenario").selected_text(st.scenario.clone()).show_ui(ui, |ui| {
            for (name, _) in daxlab::scenario::BUILTINS {
                ui.selectable_value(&mut st.scenario, name.to_string(), *name);
            }
        });
        ui.add(egui::TextEdit::singleline(&mut st.scenario).hint_text("or a scenario .toml path").desired_width(180.0));
        egui::ComboBox::new("explore-kernel", "kernel").selected_text(release_label(st.kernel)).show_ui(ui, |ui| {
            for &r in daxlab::Release::ALL {
                let k = Kernel::stock(r);
                ui.selectable_value(&mut st.kernel, k, release_label(k));
            }
        });
        ui.separator();
        ui.selectable_value(&mut st.random, false, "exhaustive");
        ui.selectable_value(&mut st.random, true, "random");
        if st.random {
            ui.add(egui::DragValue::new(&mut st.runs).range(1..=10_000_000).prefix("runs "));
            ui.add(egui::DragValue::new(&mut st.seed).prefix("seed "));
        } else {
            ui.add(egui::DragValue::new(&mut st.bound).range(0..=6).prefix("preemption bound "));
            ui.selectable_value(&mut st.reduction, Reduction::Dpor, "reduced (dpor)").on_hover_text(
                "skip schedules that only reorder commuting steps: the same outcome classes with the same fewest preemptions",
            );
            ui.selectable_value(&mut st.reduction, Reduction::None, "every schedule");
        }
        ui.separator();
        if st.is_running() {
            if ui.button("Cancel").clicked() {
                st.cancel();
            }
        } else if ui.button("Run exploration").clicked() {
            st.start(ui.ctx());
        }
    });
}

fn status(ui: &mut Ui, st: &ExploreState) {
    if let Some(r) = &st.running {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("exploring… {} executions, {:.1} s", r.progress, r.started.elapsed().as_secs_f64()));
        });
        return;
    }
    let Some((sc, rep)) = &st.result else {
        ui.label("Pick a scenario and press \"Run exploration\". The table lists every outcome class with its first witness.");
        return;
    };
    let failures = rep.failures().count();
    let verdict = if failures > 0 { format!("{failures} failure class(es) found") } else { "no failure found".into() };
    let color = if failures > 0 { t::BUG } else { t::RESTART };
    ui.label(
        RichText::new(format!(
            "{} · {} · {}: {} executions in {:.3} s{} — {verdict}",
            sc.name,
            rep.kernel.label(),
            rep.strategy,
            rep.executions,
            rep.elapsed.as_secs_f64(),
            if rep.complete { "" } else { " (incomplete)" }
        ))
        .color(color)
        .strong(),
    );
}

/// The outcome table; returns the row whose witness the user wants to open.
fn table<'a>(ui: &mut Ui, rep: &'a ExploreReport) -> Option<&'a OutcomeRow> {
    let mut open = None;
    let width = rep.rows.iter().map(|r| r.by_preemptions.len()).max().unwrap_or(0);
    egui::ScrollArea::vertical().auto_shrink([false, true]).show(ui, |ui| {
        egui::Grid::new("outcomes").striped(true).spacing([14.0, 6.0]).show(ui, |ui| {
            ui.label(RichText::new("outcome").strong());
            ui.label(RichText::new("executions").strong());
            for p in 0..width {
                ui.label(RichText::new(format!("{p} pre.")).strong());
            }
            ui.label(RichText::new("first witness").strong());
            ui.label("");
            ui.end_row();
            for row in &rep.rows {
                let color = if row.failure { t::BUG } else { t::RESTART };
                ui.label(
                    RichText::new(format!("{} {}", if row.failure { "FAILS:" } else { "ok:" }, row.label)).color(color),
                );
                ui.label(row.executions.to_string());
                for p in 0..width {
                    ui.label(
                        row.by_preemptions
                            .get(p)
                            .map_or("-".into(), |n| if *n == 0 { "-".into() } else { n.to_string() }),
                    );
                }
                ui.label(format!("{} preemption(s), {} steps", row.witness.preemptions, row.witness.steps));
                if ui.button(format!("open witness: {}", row.label)).clicked() {
                    open = Some(row);
                }
                ui.end_row();
            }
        });
    });
    open
}

/// Exploration runs on a thread of its own on the desktop. A browser page has no threads,
/// so there it runs to completion at once (the built-ins take well under a second).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn in_background(work: impl FnOnce() + Send + 'static) {
    std::thread::spawn(work);
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn in_background(work: impl FnOnce() + Send + 'static) {
    work();
}
