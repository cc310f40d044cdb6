//! Matrix: scenarios × kernels, what exhaustive exploration finds in each cell (the
//! engine's matrix, as `daxlab matrix` prints it), computed off the UI thread with its
//! progress shown; any failure class of a cell opens its minimal witness as a trace.

use super::kernel_pick::Picker;
use crate::app::{Action, Mode, Workbench};
use crate::model::{Loaded, Origin};
use crate::theme as t;
use daxlab::explore::{CellClass, Matrix, MatrixRow, MatrixRun, witness_trace};
use daxlab::trace::RecordMode;
use daxlab::{Kernel, Scenario};
use egui::{RichText, Ui};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use web_time::Instant;

/// What a run has done since the last report.
struct Update {
    /// (explorations run, explorations the matrix needs).
    progress: (usize, usize),
    /// The scenario and kernel being explored next, if any.
    next: Option<(String, Kernel)>,
    /// Rows completed since the last update.
    rows: Vec<MatrixRow>,
    /// The whole matrix, once it is complete or cancelled.
    done: Option<Matrix>,
}

/// Takes what `run` has done since `sent` rows were reported, and the matrix if nothing is
/// left to do.
fn update(run: &MatrixRun, sent: &mut usize) -> Update {
    let rows = run.rows()[*sent..].to_vec();
    *sent = run.rows().len();
    Update { progress: run.progress(), next: run.next().map(|(s, k)| (s.to_string(), k)), rows, done: None }
}

/// The computation: a thread of its own on the desktop; in a browser, which has no
/// threads, one exploration per frame.
enum Job {
    #[cfg(not(target_arch = "wasm32"))]
    Thread(crossbeam_channel::Receiver<Update>),
    #[cfg(target_arch = "wasm32")]
    Frames(Box<MatrixRun>, usize),
}

struct Running {
    job: Job,
    cancel: Arc<AtomicBool>,
    started: Instant,
    progress: (usize, usize),
    next: Option<(String, Kernel)>,
}

pub struct MatrixState {
    /// The built-ins to explore, by name.
    pub scenarios: Vec<String>,
    /// The columns.
    pub kernels: Vec<Kernel>,
    /// The kernel the "add column" picker shows.
    pub adding: Kernel,
    running: Option<Running>,
    /// The scenarios and kernels of the matrix shown, and its rows so far.
    shown: Vec<Scenario>,
    pub columns: Vec<Kernel>,
    pub rows: Vec<MatrixRow>,
    /// The whole matrix, once complete (or cancelled: then its complete rows).
    pub result: Option<Matrix>,
    pub error: Option<String>,
}

impl Default for MatrixState {
    fn default() -> Self {
        MatrixState {
            scenarios: daxlab::scenario::BUILTINS.iter().map(|(n, _)| n.to_string()).collect(),
            kernels: Kernel::releases().collect(),
            adding: Kernel::releases().last().unwrap_or(Kernel::FIXED),
            running: None,
            shown: Vec::new(),
            columns: Vec::new(),
            rows: Vec::new(),
            result: None,
            error: None,
        }
    }
}

impl MatrixState {
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Starts computing the matrix of the chosen scenarios and kernels.
    pub fn start(&mut self, ctx: &egui::Context) {
        let loaded: Result<Vec<Scenario>, String> =
            self.scenarios.iter().map(|n| Scenario::load(n).map_err(|e| e.to_string())).collect();
        let scenarios = match loaded {
            Ok(s) if !s.is_empty() && !self.kernels.is_empty() => s,
            Ok(_) => return self.error = Some("pick at least one scenario and one kernel".into()),
            Err(e) => return self.error = Some(e),
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let run = MatrixRun::new(scenarios.clone(), self.kernels.clone()).with_cancel(cancel.clone());
        let mut sent = 0;
        let first = update(&run, &mut sent);
        self.error = None;
        self.shown = scenarios;
        self.columns = self.kernels.clone();
        self.rows.clear();
        self.result = None;
        self.running = Some(Running {
            job: spawn(run, ctx),
            cancel,
            started: Instant::now(),
            progress: first.progress,
            next: first.next,
        });
    }

    pub fn cancel(&mut self) {
        if let Some(r) = &self.running {
            r.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Takes what the computation did; true while it is still running.
    pub fn poll(&mut self) -> bool {
        let Some(r) = self.running.as_mut() else { return false };
        let (updates, lost) = r.job.updates();
        for u in updates {
            r.progress = u.progress;
            r.next = u.next;
            self.rows.extend(u.rows);
            if let Some(m) = u.done {
                self.result = Some(m);
                self.running = None;
                return false;
            }
        }
        if lost {
            self.error = Some("the matrix thread stopped without a result".into());
            self.running = None;
            return false;
        }
        true
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn spawn(mut run: MatrixRun, ctx: &egui::Context) -> Job {
    let (tx, rx) = crossbeam_channel::unbounded();
    let ctx = ctx.clone();
    std::thread::spawn(move || {
        let mut sent = 0;
        while run.step() {
            if tx.send(update(&run, &mut sent)).is_err() {
                return;
            }
            ctx.request_repaint();
        }
        let mut last = update(&run, &mut sent);
        last.done = Some(run.finish());
        let _ = tx.send(last);
        ctx.request_repaint();
    });
    Job::Thread(rx)
}

#[cfg(target_arch = "wasm32")]
fn spawn(run: MatrixRun, _: &egui::Context) -> Job {
    Job::Frames(Box::new(run), 0)
}

impl Job {
    /// On the desktop, what the thread sent (and whether it is gone without finishing); in
    /// a browser, the next exploration, run now.
    fn updates(&mut self) -> (Vec<Update>, bool) {
        match self {
            #[cfg(not(target_arch = "wasm32"))]
            Job::Thread(rx) => {
                let mut out = Vec::new();
                loop {
                    match rx.try_recv() {
                        Ok(u) => out.push(u),
                        Err(crossbeam_channel::TryRecvError::Empty) => return (out, false),
                        Err(crossbeam_channel::TryRecvError::Disconnected) => return (out, true),
                    }
                }
            }
            #[cfg(target_arch = "wasm32")]
            Job::Frames(run, sent) => {
                let stepped = run.step();
                let mut u = update(run, sent);
                if !stepped {
                    let run = std::mem::replace(run, Box::new(MatrixRun::new(Vec::new(), Vec::new())));
                    u.done = Some(run.finish());
                }
                (vec![u], false)
            }
        }
    }
}

pub fn show(ui: &mut Ui, app: &mut Workbench) {
    ui.label(RichText::new("The matrix: every scenario on every kernel").strong().size(16.0));
    ui.label(
        "Each cell is an exhaustive exploration at the scenario's [expect] bound: the failure classes it finds, \
         each with the fewest preemptions an interleaving reaching it needs. Click a class to open its minimal witness.",
    );
    settings(ui, &mut app.matrix);
    ui.separator();
    status(ui, &app.matrix);
    if let Some(e) = &app.matrix.error {
        ui.label(RichText::new(e).color(t::EEXIST));
    }
    if let Some((sc, k, class)) = table(ui, &app.matrix) {
        match witness(sc, k, class) {
            Ok(doc) => {
                app.actions.push(Action::Load(Box::new(doc), 0));
                app.actions.push(Action::SetMode(Mode::Trace));
            }
            Err(e) => app.matrix.error = Some(e),
        }
    }
}

/// A class's minimal witness, replayed on its kernel and opened as a trace at step 0 (or
/// why it could not be: a witness that does not replay is a daxlab bug).
fn witness(sc: &Scenario, k: Kernel, class: &CellClass) -> Result<Loaded, String> {
    let bound = sc.expect.as_ref().map_or(2, |e| e.preemptions);
    let mode = RecordMode::Explored { strategy: "exhaustive".into(), bound: Some(bound), seed: None };
    let trace = witness_trace(sc, k, &class.witness, mode).map_err(|e| e.to_string())?;
    let what = format!("{} · {} · minimal witness of {} (from the matrix)", sc.name, k.label(), class.class);
    Ok(Loaded::made(trace, Origin::Made(what)))
}

fn settings(ui: &mut Ui, st: &mut MatrixState) {
    let all = daxlab::scenario::BUILTINS.len();
    ui.collapsing(format!("scenarios ({} of {all} built-ins)", st.scenarios.len()), |ui| {
        ui.horizontal_wrapped(|ui| {
            for (name, _) in daxlab::scenario::BUILTINS {
                let mut on = st.scenarios.iter().any(|s| s == name);
                if ui.checkbox(&mut on, *name).changed() {
                    st.scenarios = daxlab::scenario::BUILTINS
                        .iter()
                        .map(|(n, _)| *n)
                        .filter(|n| if n == name { on } else { st.scenarios.iter().any(|s| s == n) })
                        .map(str::to_string)
                        .collect();
                }
            }
        });
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("kernels:");
        let mut remove = None;
        for (i, k) in st.kernels.iter().enumerate() {
            if ui.button(format!("{k} ×")).on_hover_text("remove this column").clicked() {
                remove = Some(i);
            }
        }
        if let Some(i) = remove {
            st.kernels.remove(i);
        }
        ui.separator();
        let picker = Picker {
            id: "matrix-picker",
            label: "column",
            fixes: "fixes of the column to add ▾",
            hover: "a kernel to add as a column",
        };
        if let Some(k) = picker.show(ui, st.adding) {
            st.adding = k;
        }
        if ui.add_enabled(!st.kernels.contains(&st.adding), egui::Button::new("add column")).clicked() {
            st.kernels.push(st.adding);
        }
        if ui.button("every release").clicked() {
            st.kernels = Kernel::releases().collect();
        }
    });
    ui.horizontal(|ui| {
        if st.is_running() {
            if ui.button("Cancel").clicked() {
                st.cancel();
            }
        } else if ui.button("Compute the matrix").clicked() {
            st.start(ui.ctx());
        }
    });
}

fn status(ui: &mut Ui, st: &MatrixState) {
    if let Some(r) = &st.running {
        let (done, total) = r.progress;
        ui.horizontal(|ui| {
            ui.spinner();
            let now = r.next.as_ref().map_or(String::new(), |(s, k)| format!(" · exploring {s} on {k}"));
            ui.label(format!(
                "computing… {done} of {total} explorations, {:.1} s{now}",
                r.started.elapsed().as_secs_f64()
            ));
        });
        ui.add(egui::ProgressBar::new(if total == 0 { 1.0 } else { done as f32 / total as f32 }).desired_width(400.0));
        return;
    }
    let Some(m) = &st.result else {
        ui.label("Press \"Compute the matrix\". Kernels with the same fixes share one exploration.");
        return;
    };
    let differs = m.mismatches().len();
    let (text, color) = if differs == 0 {
        ("every cell shows what its scenario's [expect] says".to_string(), t::RESTART)
    } else {
        (format!("{differs} cell(s) differ from their scenario's [expect] (marked ≠)"), t::EEXIST)
    };
    ui.label(
        RichText::new(format!(
            "{} scenarios × {} kernels in {:.1} s ({} explorations) — {text}",
            m.rows.len(),
            m.kernels.len(),
            m.elapsed.as_secs_f64(),
            m.explorations
        ))
        .color(color)
        .strong(),
    );
}

/// The table; returns the scenario, kernel and class whose witness the user wants to open.
fn table<'a>(ui: &mut Ui, st: &'a MatrixState) -> Option<(&'a Scenario, Kernel, &'a CellClass)> {
    if st.rows.is_empty() {
        return None;
    }
    let mut open = None;
    egui::ScrollArea::both().auto_shrink([false, true]).show(ui, |ui| {
        // A cell's lines are short and read badly wrapped: the table scrolls instead.
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        egui::Grid::new("matrix").striped(true).spacing([16.0, 8.0]).show(ui, |ui| {
            ui.label(RichText::new("scenario").strong());
            for k in &st.columns {
                ui.label(RichText::new(k.to_string()).strong());
            }
            ui.end_row();
            for row in &st.rows {
                ui.vertical(|ui| {
                    ui.label(RichText::new(&row.scenario).strong()).on_hover_text(&row.description);
                    ui.label(RichText::new(format!("bound {}", row.bound)).color(t::MUTED));
                });
                let sc = st.shown.iter().find(|s| s.name == row.scenario);
                for (cell, &k) in row.cells.iter().zip(&st.columns) {
                    if let Some(c) = cell_ui(ui, cell)
                        && let Some(sc) = sc
                    {
                        open = Some((sc, k, c));
                    }
                }
                ui.end_row();
            }
        });
    });
    open
}

/// One cell: its failure classes as buttons (or "no failure"), and what [expect] wanted if
/// the cell differs.
fn cell_ui<'a>(ui: &mut Ui, cell: &'a daxlab::explore::Cell) -> Option<&'a CellClass> {
    let mut open = None;
    ui.vertical(|ui| {
        if cell.failures.is_empty() {
            ui.label(RichText::new(cell.summary()).color(t::RESTART));
        }
        for c in &cell.failures {
            let b = egui::Button::new(RichText::new(c.label()).color(t::BUG));
            if ui.add(b).on_hover_text(format!("open the minimal witness ({} steps)", c.steps)).clicked() {
                open = Some(c);
            }
        }
        if cell.matches() == Some(false) {
            let want = cell.expected.as_ref().map(|e| e.iter().cloned().collect::<Vec<_>>().join(", "));
            let want = want.filter(|w| !w.is_empty()).unwrap_or_else(|| "no failure".into());
            ui.label(RichText::new(format!("≠ [expect]: {want}")).color(t::EEXIST));
        }
    });
    open
}
