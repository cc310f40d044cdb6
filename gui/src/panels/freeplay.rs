//! Free play in "Be the scheduler" (no challenge level chosen). Every verdict it shows comes
//! from the engine: the outcome of the run the user is making, and — when asked for — an
//! exhaustive exploration of the same scenario on the same kernel, run here in the
//! background. Nothing is said about what a kernel can or cannot do before that ran.

use super::explore::in_background;
use crate::theme as t;
use crossbeam_channel::Receiver;
use daxlab::explore::{ExploreConfig, ExploreReport, explore};
use daxlab::scenario::Execution;
use daxlab::{Kernel, Scenario};
use egui::{Color32, RichText, Ui};

/// A cap on the exploration, so that a big scenario still answers (the line then says the
/// search was not complete).
const MAX_EXECUTIONS: u64 = 200_000;

#[derive(Default)]
pub struct FreePlay {
    running: Option<Receiver<ExploreReport>>,
    pub report: Option<ExploreReport>,
}

/// The preemption bound the scenario's own expectation is stated at (2 without one).
fn bound_of(sc: &Scenario) -> u32 {
    sc.expect.as_ref().map_or(2, |e| e.preemptions)
}

impl FreePlay {
    /// Explores every interleaving of `sc` on `kernel` within the scenario's bound.
    pub fn start(&mut self, sc: &Scenario, kernel: Kernel) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let sc = sc.clone();
        let cfg =
            ExploreConfig { max_executions: Some(MAX_EXECUTIONS), ..ExploreConfig::exhaustive(kernel, bound_of(&sc)) };
        in_background(move || {
            let _ = tx.send(explore(&sc, &cfg, &mut |_| {}));
        });
        self.report = None;
        self.running = Some(rx);
    }

    /// Takes the report when it has arrived; true while the exploration still runs.
    pub fn poll(&mut self) -> bool {
        let Some(rx) = &self.running else { return false };
        match rx.try_recv() {
            Ok(r) => {
                self.report = Some(r);
                self.running = None;
                false
            }
            Err(crossbeam_channel::TryRecvError::Empty) => true,
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                self.running = None;
                false
            }
        }
    }

    /// Blocks until a running exploration has reported (for tests: no deadline, no polling).
    pub fn wait(&mut self) {
        if let Some(rx) = self.running.take() {
            self.report = rx.recv().ok();
        }
    }
}

/// What the user's own run did, in one line, and whether it broke the kernel.
pub fn run_line(kernel: Kernel, ex: &Execution) -> (String, bool) {
    let kernel = kernel.label();
    let pre = ex.preemptions;
    let plural = if pre == 1 { "" } else { "s" };
    if ex.paused.is_some() {
        return (format!("Pick who runs at every decision and try to make the {kernel} kernel fail."), false);
    }
    let label = daxlab::explore::label(&ex.outcome, &ex.notes);
    if ex.outcome.is_failure() {
        (format!("You made the {kernel} kernel fail: {label}, in {pre} preemption{plural}."), true)
    } else {
        (format!("Your run ended without a failure: {label}, in {pre} preemption{plural}."), false)
    }
}

/// What the engine's exploration found, in one line and a colour.
pub fn exploration_line(r: &ExploreReport) -> (String, Color32) {
    let bound = r.bound.unwrap_or(0);
    let v = r.kernel.label();
    if let Some(first) = r.failures().map(|row| row.witness.preemptions).min() {
        let classes: Vec<String> = r.failure_classes().into_iter().collect();
        let text = format!(
            "The engine explored {} interleavings with at most {bound} preemptions: the {v} kernel can fail here ({}), the first time with {first} preemption{}.",
            r.executions,
            classes.join(", "),
            if first == 1 { "" } else { "s" }
        );
        return (text, t::BUG);
    }
    if r.complete {
        let text = format!(
            "The engine explored all {} interleavings with at most {bound} preemptions: none makes the {v} kernel fail.",
            r.executions
        );
        (text, t::RESTART)
    } else {
        let text = format!(
            "The engine explored {} interleavings (its cap) and found no failure among them; that does not show the {v} kernel cannot fail.",
            r.executions
        );
        (text, t::MUTED)
    }
}

/// The free-play lines and the button that asks the engine.
pub fn show(ui: &mut Ui, sc: &Scenario, kernel: Kernel, ex: &Execution, fp: &mut FreePlay) {
    let (line, won) = run_line(kernel, ex);
    ui.label(RichText::new(line).color(if won { t::BUG } else { t::WINDOW_EDGE }).strong().size(15.0));
    if fp.poll() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("the engine explores every interleaving …");
        });
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
    } else if let Some(r) = &fp.report {
        let (text, color) = exploration_line(r);
        ui.label(RichText::new(text).color(color));
    } else {
        let ask = format!(
            "ask the engine: can the {} kernel fail here? (explores every interleaving with at most {} preemptions)",
            kernel.label(),
            bound_of(sc)
        );
        if ui.button(ask).clicked() {
            fp.start(sc, kernel);
        }
    }
}
