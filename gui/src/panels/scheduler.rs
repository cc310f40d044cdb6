//! "Be the scheduler" (after The Deadlock Empire): at every point where more than one
//! thread could run, the user picks who runs next, and may make a radix_tree_preload()
//! fail where the scenario allows it. The branch can be saved as a trace; a challenge
//! line says when the user has broken the kernel.

use crate::app::{Action, Workbench};
use crate::model::{Loaded, Origin};
use crate::theme as t;
use daxlab::Scenario;
use daxlab::scenario::{Execution, RunConfig, execute};
use daxlab::sim::{Choice, ChoicePick, Decision, InteractiveScheduler, ReplayScheduler, Tid};
use daxlab::trace::{EventKind, RecordMode, Trace};
use daxlab::{Fix, Kernel};
use egui::{RichText, Ui};

pub struct SchedulerState {
    pub scenario: Scenario,
    pub kernel: Kernel,
    /// Every decision so far (as the executor recorded them, injected choices included).
    pub decisions: Vec<Decision>,
    pub ex: Execution,
    /// Choices the engine offered and that were answered "no failure".
    pub offered: Vec<(usize, ChoicePick)>,
    /// What each runnable thread would do if picked now.
    pub peeks: Vec<(Tid, String)>,
    /// How many decisions the user has made in this branch.
    pub picks: usize,
}

fn run(sc: &Scenario, v: Kernel, decisions: &[Decision]) -> (Execution, Vec<(usize, ChoicePick)>) {
    let mut s = InteractiveScheduler::new(decisions.to_vec());
    let ex = execute(sc, &RunConfig::new(v), &mut s);
    (ex, s.offered)
}

impl SchedulerState {
    /// Starts a branch at position `pos` of `doc`: the decisions that produced the steps
    /// up to the one on screen are kept; the next decision is the user's.
    pub fn branch(doc: &Loaded, pos: usize) -> Self {
        let sc = doc.scenario.clone();
        let v = doc.kernel();
        let all = &doc.header.schedule.0;
        let target = if pos == 0 { 0 } else { doc.step_at(pos) + 1 };
        let reaches = |k: usize| run(&sc, v, &all[..k]).0.paused.is_none_or(|p| p.step >= target);
        let (mut lo, mut hi) = (0usize, all.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if reaches(mid) { hi = mid } else { lo = mid + 1 }
        }
        SchedulerState::new(sc, v, all[..lo].to_vec())
    }

    /// A branch of `scenario` on `kernel` that has made `decisions`; the next is the user's.
    pub fn new(scenario: Scenario, kernel: Kernel, decisions: Vec<Decision>) -> Self {
        let (ex, offered) = run(&scenario, kernel, &decisions);
        let mut st = SchedulerState {
            scenario,
            kernel,
            decisions: ex.schedule.0.clone(),
            ex,
            offered,
            peeks: Vec::new(),
            picks: 0,
        };
        st.peeks = st.peek();
        st
    }

    pub fn rerun(&mut self) {
        let (ex, offered) = run(&self.scenario, self.kernel, &self.decisions);
        self.decisions = ex.schedule.0.clone();
        self.offered = offered;
        self.ex = ex;
        self.peeks = self.peek();
    }

    fn peek(&self) -> Vec<(Tid, String)> {
        let Some(p) = &self.ex.paused else { return Vec::new() };
        let names = self.scenario.thread_names();
        p.runnable
            .iter()
            .map(|&t| {
                let mut d = self.decisions.clone();
                d.push(Decision::Run(t));
                let (ex, _) = run(&self.scenario, self.kernel, &d);
                let step: Vec<_> = ex
                    .events
                    .iter()
                    .filter(|e| e.step == p.step && !matches!(e.kind, EventKind::Enter { .. } | EventKind::Exit { .. }))
                    .cloned()
                    .collect();
                let analysis = daxlab::analysis::analyze(&ex.events);
                let what = daxlab::analysis::narrate(&step, &analysis, &names);
                (t, if what.is_empty() { "(enters a kernel function)".to_string() } else { what.join("; ") })
            })
            .collect()
    }

    pub fn pick(&mut self, t: Tid) {
        self.decisions.push(Decision::Run(t));
        self.picks += 1;
        self.rerun();
    }

    /// Runs `t` step after step until a step does something another thread could notice
    /// (a lock, an entry, a page table, a wait), or `t` cannot run, or the run ends.
    pub fn run_on(&mut self, t: Tid) {
        use crate::model::index::{cat, category};
        let notable = cat::LOCK
            | cat::INSERT
            | cat::EEXIST
            | cat::RESTART
            | cat::FALLBACK
            | cat::WAIT
            | cat::WAKE
            | cat::BUG
            | cat::ENOMEM
            | cat::PAGETABLE
            | cat::COUNTERFACTUAL
            | cat::EXIT;
        for _ in 0..500 {
            let Some(p) = self.ex.paused.clone() else { break };
            if !p.runnable.contains(&t) {
                break;
            }
            self.decisions.push(Decision::Run(t));
            self.picks += 1;
            let (ex, offered) = run(&self.scenario, self.kernel, &self.decisions);
            self.decisions = ex.schedule.0.clone();
            self.offered = offered;
            self.ex = ex;
            let did = self.ex.events.iter().filter(|e| e.step == p.step).any(|e| category(&e.kind) & notable != 0);
            if did || !self.offered.is_empty() {
                break;
            }
        }
        self.peeks = self.peek();
    }

    pub fn undo(&mut self) {
        while let Some(d) = self.decisions.pop() {
            if matches!(d, Decision::Run(_)) {
                break;
            }
        }
        self.picks = self.picks.saturating_sub(1);
        self.rerun();
    }

    /// Makes the offered choice fail (e.g. radix_tree_preload() returns -ENOMEM).
    pub fn inject(&mut self, at: usize) {
        self.decisions.truncate(at);
        self.decisions.push(Decision::Choose(1));
        self.rerun();
    }

    /// Lets the default scheduler (no preemptions) finish the run.
    pub fn finish(&mut self) {
        let mut s = ReplayScheduler::new(self.decisions.clone());
        self.ex = execute(&self.scenario, &RunConfig::new(self.kernel), &mut s);
        self.decisions = self.ex.schedule.0.clone();
        self.offered.clear();
        self.peeks.clear();
    }

    pub fn to_doc(&self) -> (Loaded, usize) {
        let what = format!("{} · {} · your schedule", self.scenario.name, self.kernel.label());
        let doc =
            Loaded::from_execution(&self.scenario, self.kernel, RecordMode::Interactive, &self.ex, Origin::Made(what));
        let end = doc.len();
        (doc, end)
    }

    /// The branch as a complete trace (a paused run is finished by the default scheduler).
    pub fn finished_trace(&self) -> Trace {
        let mut s = ReplayScheduler::new(self.decisions.clone());
        let ex = execute(&self.scenario, &RunConfig::new(self.kernel), &mut s);
        Trace::from_execution(&self.scenario, self.kernel, RecordMode::Interactive, &ex)
    }

    /// The challenge line: what to try, or what the user achieved.
    pub fn challenge(&self) -> (String, bool) {
        let o = &self.ex.outcome;
        let pre = self.ex.preemptions;
        let plural = if pre == 1 { "" } else { "s" };
        if o.is_failure() && self.ex.paused.is_none() {
            let what = match o {
                daxlab::Outcome::Bug { invariant } if invariant.name() == "pte-under-huge-pmd" => {
                    "install a PTE under a huge PMD".to_string()
                }
                _ => format!("fail with {}", o.class()),
            };
            return (format!("You made the {} kernel {what} in {pre} preemption{plural}!", self.kernel.label()), true);
        }
        let restarted = self.ex.events.iter().any(|e| matches!(e.kind, EventKind::Restart { .. }));
        let text = match (self.kernel.has(Fix::RadixTreeInsertionRace), restarted) {
            (true, true) => "The fix caught it: the re-lookup saw the other thread's entry and restarted. Exhaustive exploration finds no schedule that breaks the fixed kernel.".to_string(),
            (true, false) => "Challenge: try to break the fixed kernel (exploration says you cannot).".to_string(),
            (false, _) => "Challenge: make the unfixed kernel install a PTE under a huge PMD. Hint: run T1 until it drops tree_lock to preload, then let T2 insert its PMD entry.".to_string(),
        };
        (text, false)
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
        let (line, won) = st.challenge();
        ui.label(RichText::new(line).color(if won { t::RESTART } else { t::WINDOW_EDGE }).strong().size(15.0));
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
    for (tid, what) in st.peeks.clone() {
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
            if let Some(c) = p.current.filter(|c| *c != tid) {
                ui.label(RichText::new(format!("(preempts {})", names[c.index()])).color(t::FALLBACK));
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
            st.decisions.clear();
            st.picks = 0;
            st.rerun();
            changed = true;
        }
        if st.ex.paused.is_some() && ui.button("finish without preemptions").clicked() {
            st.finish();
            changed = true;
        }
    });
    if let Some((at, pick)) = st.offered.last().cloned() {
        let name = st.scenario.thread_names()[pick.tid.index()].clone();
        let what = match pick.choice {
            Choice::PreloadEnomem => format!("make {name}'s radix_tree_preload() just now fail (-ENOMEM)"),
            Choice::AtomicNodeAllocFails => {
                format!("make {name}'s GFP_ATOMIC node allocation just now fail (the node comes from the preload pool)")
            }
            Choice::XaNodeAllocFails => {
                format!(
                    "make {name}'s GFP_NOWAIT xa_node allocation under xa_lock just now fail (-ENOMEM, xas_nomem retry)"
                )
            }
            Choice::XasNomemFails => format!("make {name}'s xas_nomem() allocation just now fail (-ENOMEM)"),
        };
        if ui.button(what).clicked() {
            st.inject(at);
            changed = true;
        }
    } else {
        ui.label(RichText::new("(this scenario offers no allocation failure to inject here)").small().color(t::MUTED));
    }
    changed
}
