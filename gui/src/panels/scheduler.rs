//! "Be the scheduler" (after The Deadlock Empire): at every point where more than one
//! thread could run, the user picks who runs next, and may make a radix_tree_preload()
//! fail where the scenario allows it. The branch can be saved as a trace; a challenge
//! line says when the user has broken the kernel.

use crate::app::{Action, Workbench};
use crate::model::{Loaded, Origin};
use crate::theme as t;
use daxlab::Kernel;
use daxlab::Scenario;
use daxlab::challenge::{Branch, Peek};
use daxlab::sim::{Decision, Tid};
use daxlab::trace::RecordMode;
use egui::{RichText, Ui};
use std::ops::{Deref, DerefMut};

/// The engine's [`Branch`] (the same one `daxlab play` plays), and what each runnable thread
/// would do next, computed once per change for the panel.
pub struct SchedulerState {
    branch: Branch,
    /// What each runnable thread would do if picked now.
    pub peeks: Vec<Peek>,
    /// Free play's exploration of this scenario on this kernel, when asked for.
    pub free: super::freeplay::FreePlay,
}

impl Deref for SchedulerState {
    type Target = Branch;
    fn deref(&self) -> &Branch {
        &self.branch
    }
}

impl DerefMut for SchedulerState {
    fn deref_mut(&mut self) -> &mut Branch {
        &mut self.branch
    }
}

impl SchedulerState {
    /// Starts a branch at position `pos` of `doc`: the decisions that produced the steps
    /// up to the one on screen are kept; the next decision is the user's.
    pub fn branch(doc: &Loaded, pos: usize) -> Self {
        let sc = doc.scenario.clone();
        let v = doc.kernel();
        let all = &doc.header.schedule.0;
        let target = if pos == 0 { 0 } else { doc.step_at(pos) + 1 };
        let reaches =
            |k: usize| Branch::new(sc.clone(), v, all[..k].to_vec()).ex.paused.is_none_or(|p| p.step >= target);
        let (mut lo, mut hi) = (0usize, all.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if reaches(mid) { hi = mid } else { lo = mid + 1 }
        }
        SchedulerState::new(sc, v, all[..lo].to_vec())
    }

    /// A branch of `scenario` on `kernel` that has made `decisions`; the next is the user's.
    pub fn new(scenario: Scenario, kernel: Kernel, decisions: Vec<Decision>) -> Self {
        let branch = Branch::new(scenario, kernel, decisions);
        let peeks = branch.peek();
        SchedulerState { branch, peeks, free: Default::default() }
    }

    fn changed(&mut self) {
        self.peeks = self.branch.peek();
    }

    pub fn rerun(&mut self) {
        self.branch.rerun();
        self.changed();
    }

    pub fn pick(&mut self, t: Tid) {
        // The panel offers only runnable threads, so a refused pick changes nothing.
        let _ = self.branch.pick(t);
        self.changed();
    }

    /// Runs `t` step after step until a step does something another thread could notice
    /// (a lock, an entry, a page table, a wait), or `t` cannot run, or the run ends.
    pub fn run_on(&mut self, t: Tid) {
        use daxlab::analysis::EventClass;
        for _ in 0..500 {
            let Some(p) = self.branch.ex.paused.clone() else { break };
            if self.branch.pick(t).is_err() {
                break;
            }
            let did = self
                .branch
                .ex
                .events
                .iter()
                .filter(|e| e.step == p.step)
                .any(|e| EventClass::of(&e.kind).is_visible_to_others());
            if did || !self.branch.offered.is_empty() {
                break;
            }
        }
        self.changed();
    }

    pub fn undo(&mut self) {
        self.branch.undo();
        self.changed();
    }

    pub fn restart(&mut self) {
        self.branch.restart();
        self.changed();
    }

    /// Makes the offered choice fail (e.g. radix_tree_preload() returns -ENOMEM).
    pub fn inject(&mut self) {
        let _ = self.branch.inject();
        self.changed();
    }

    /// Lets the default scheduler (no preemptions) finish the run.
    pub fn finish(&mut self) {
        self.branch.finish();
        self.peeks.clear();
    }

    pub fn to_doc(&self) -> (Loaded, usize) {
        let what = format!("{} · {} · your schedule", self.scenario.name, self.kernel.label());
        let doc =
            Loaded::from_execution(&self.scenario, self.kernel, RecordMode::Interactive, &self.ex, Origin::Made(what));
        let end = doc.len();
        (doc, end)
    }
}

pub fn show(ui: &mut Ui, app: &mut Workbench) {
    ui.label(RichText::new("Be the scheduler").strong().size(16.0));
    super::challenge::picker(ui, app);
    if super::challenge::show(ui, app) {
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
    }
    ui.separator();
    if app.sched.is_none() {
        if ui.button("start here").clicked() {
            app.start_scheduler();
        }
        return;
    }
    let at_end = app.pos >= app.doc.len();
    if !at_end
        && ui
            .button("branch from the cursor")
            .on_hover_text("forget what was decided after the step on screen and choose from here")
            .clicked()
    {
        app.start_scheduler();
        return;
    }
    let playing_a_level = app.challenge.is_some();
    let Some(st) = app.sched.as_mut() else { return };
    if !playing_a_level {
        let SchedulerState { branch, free, .. } = st;
        super::freeplay::show(ui, &branch.scenario, branch.kernel, &branch.ex, free);
    }
    ui.label(format!(
        "{} kernel · {} preemption(s) so far · {} pick(s) by you",
        st.kernel, st.ex.preemptions, st.picks
    ));
    ui.separator();
    let mut changed = choices(ui, st);
    changed |= controls(ui, st);
    if changed {
        let (doc, pos) = st.to_doc();
        app.actions.push(Action::Load(Box::new(doc), pos));
    }
    ui.separator();
    ui.label(
        RichText::new("Save the branch with the toolbar's Save (a paused run is finished without preemptions).")
            .small(),
    );
}

/// One row per runnable thread: run it one step, or on to its next notable step.
fn choices(ui: &mut Ui, st: &mut SchedulerState) -> bool {
    let Some(p) = st.ex.paused.clone() else {
        ui.label(RichText::new(format!("The run is over: {}", st.ex.outcome.class())).strong());
        return false;
    };
    let mut changed = false;
    ui.label(format!("Step {}: who runs next?", p.step));
    let names = st.scenario.thread_names();
    for peek in st.peeks.clone() {
        let (tid, what) = (peek.tid, &peek.what);
        let name = &names[tid.index()];
        ui.horizontal(|ui| {
            if ui.button(RichText::new(format!("run {name}")).color(t::thread(tid.index())).strong()).clicked() {
                st.pick(tid);
                changed = true;
            }
            if ui.button(format!("run {name} to its next lock / entry / wait")).clicked() {
                st.run_on(tid);
                changed = true;
            }
            if let Some(cost) = peek.cost(&names) {
                ui.label(RichText::new(format!("({cost})")).color(t::FALLBACK));
            }
        });
        ui.label(RichText::new(format!("   {name} would: {what}")).small());
    }
    changed
}

fn controls(ui: &mut Ui, st: &mut SchedulerState) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        if ui.button("undo").clicked() {
            st.undo();
            changed = true;
        }
        if ui.button("restart from step 0").clicked() {
            st.restart();
            changed = true;
        }
        if st.ex.paused.is_some() && ui.button("finish without preemptions").clicked() {
            st.finish();
            changed = true;
        }
    });
    if let Some(what) = st.injectable() {
        if ui.button(format!("make it fail: {what}")).clicked() {
            st.inject();
            changed = true;
        }
    } else {
        ui.label(RichText::new("(this scenario offers no allocation failure to inject here)").small().color(t::MUTED));
    }
    changed
}
