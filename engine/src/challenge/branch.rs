//! Being the scheduler: one run of a scenario on one kernel, paused at every decision so
//! that a person picks who runs next (The Deadlock Empire's game). The run is the engine's
//! own: each change re-executes the scenario under the decisions made so far, with an
//! [`InteractiveScheduler`] that pauses at the first decision left to make. `daxlab play`
//! and the workbench's "Be the scheduler" mode drive it.

use crate::analysis::{analyze, narrate};
use crate::release::Kernel;
use crate::scenario::{Execution, RunConfig, Scenario, execute};
use crate::sim::{Choice, ChoicePick, Decision, InteractiveScheduler, ReplayScheduler, Switch, Tid};
use crate::trace::{EventKind, RecordMode, Trace};

/// A branch of decisions on one scenario and kernel, paused at the next decision.
#[derive(Clone, Debug)]
pub struct Branch {
    pub scenario: Scenario,
    pub kernel: Kernel,
    /// Every decision so far, as the executor recorded them (injected choices included).
    pub decisions: Vec<Decision>,
    /// The run under those decisions, paused at the next one (or finished).
    pub ex: Execution,
    /// Choices the engine offered at the last steps and that were answered "no failure":
    /// (the decision's index, the choice). Injecting one makes it fail instead.
    pub offered: Vec<(usize, ChoicePick)>,
    /// How many decisions the player has made.
    pub picks: usize,
}

/// Why a pick cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PickError {
    #[error("the run is over ({0})")]
    Over(String),
    #[error("{name} cannot run at step {step}; {runnable} can")]
    NotRunnable { name: String, step: u32, runnable: String },
    #[error("nothing can be made to fail here")]
    NothingToInject,
}

fn run(sc: &Scenario, v: Kernel, decisions: &[Decision]) -> (Execution, Vec<(usize, ChoicePick)>) {
    let mut s = InteractiveScheduler::new(decisions.to_vec());
    let ex = execute(sc, &RunConfig::new(v), &mut s);
    (ex, s.offered)
}

impl Branch {
    /// A branch of `scenario` on `kernel` that has made `decisions`; the next is the player's.
    pub fn new(scenario: Scenario, kernel: Kernel, decisions: Vec<Decision>) -> Branch {
        let (ex, offered) = run(&scenario, kernel, &decisions);
        Branch { scenario, kernel, decisions: ex.schedule.0.clone(), ex, offered, picks: 0 }
    }

    /// Runs the scenario again under the decisions made so far.
    pub fn rerun(&mut self) {
        let (ex, offered) = run(&self.scenario, self.kernel, &self.decisions);
        self.decisions = ex.schedule.0.clone();
        self.offered = offered;
        self.ex = ex;
    }

    /// The name the scenario gives thread `t`.
    pub fn name(&self, t: Tid) -> String {
        self.scenario.thread_names().get(t.index()).cloned().unwrap_or_else(|| format!("thread {}", t.0))
    }

    /// The thread a player means by `word`: its name ("T1", any case) or its number in
    /// scenario order counted from 1 ("1").
    pub fn thread_named(&self, word: &str) -> Option<Tid> {
        let names = self.scenario.thread_names();
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(word)) {
            return Some(Tid(i as u8));
        }
        let n: usize = word.parse().ok()?;
        (1..=names.len()).contains(&n).then(|| Tid((n - 1) as u8))
    }

    /// Runs `t` for one step.
    pub fn pick(&mut self, t: Tid) -> Result<(), PickError> {
        let Some(p) = &self.ex.paused else { return Err(PickError::Over(self.ex.outcome.class())) };
        if !p.runnable.contains(&t) {
            let runnable: Vec<String> = p.runnable.iter().map(|&r| self.name(r)).collect();
            return Err(PickError::NotRunnable { name: self.name(t), step: p.step, runnable: runnable.join(" and ") });
        }
        self.decisions.push(Decision::Run(t));
        self.picks += 1;
        self.rerun();
        Ok(())
    }

    /// Runs `t` step after step until one of its steps has an event of kind `event` (a
    /// name of [`EventKind::NAMES`]), `t` cannot run, or the run ends. Returns the number of
    /// steps `t` ran.
    pub fn run_until(&mut self, t: Tid, event: &str) -> Result<usize, PickError> {
        let mut ran = 0;
        loop {
            let before = self.ex.events.len();
            match self.pick(t) {
                Ok(()) => ran += 1,
                Err(e) if ran == 0 => return Err(e),
                Err(_) => return Ok(ran),
            }
            let hit =
                self.ex.events[before.min(self.ex.events.len())..].iter().any(|e| e.tid == t && e.kind.name() == event);
            if hit || !self.offered.is_empty() {
                return Ok(ran);
            }
        }
    }

    /// Takes back the player's last pick.
    pub fn undo(&mut self) {
        while let Some(d) = self.decisions.pop() {
            if matches!(d, Decision::Run(_)) {
                break;
            }
        }
        self.picks = self.picks.saturating_sub(1);
        self.rerun();
    }

    /// Back to step 0.
    pub fn restart(&mut self) {
        self.decisions.clear();
        self.picks = 0;
        self.rerun();
    }

    /// Makes the most recently offered choice fail (e.g. radix_tree_preload() returns
    /// -ENOMEM), and describes what failed.
    pub fn inject(&mut self) -> Result<String, PickError> {
        let (at, pick) = self.offered.last().cloned().ok_or(PickError::NothingToInject)?;
        let what = injection_text(&self.name(pick.tid), pick.choice);
        self.decisions.truncate(at);
        self.decisions.push(Decision::Choose(1));
        self.rerun();
        Ok(what)
    }

    /// What injecting the most recently offered choice would do, if one is offered.
    pub fn injectable(&self) -> Option<String> {
        self.offered.last().map(|(_, p)| injection_text(&self.name(p.tid), p.choice))
    }

    /// Lets the default scheduler finish the run: no more preemptions, no injected failure.
    pub fn finish(&mut self) {
        let mut s = ReplayScheduler::new(self.decisions.clone());
        self.ex = execute(&self.scenario, &RunConfig::new(self.kernel), &mut s);
        self.decisions = self.ex.schedule.0.clone();
        self.offered.clear();
    }

    /// The branch as a complete trace (a paused run is finished by the default scheduler).
    pub fn finished_trace(&self) -> Trace {
        let mut done = self.clone();
        done.finish();
        Trace::from_execution(&self.scenario, self.kernel, RecordMode::Interactive, &done.ex)
    }

    /// For each thread that can run now, what its next step would do, in daxlab's words,
    /// and the switch picking it would make.
    pub fn peek(&self) -> Vec<Peek> {
        let Some(p) = &self.ex.paused else { return Vec::new() };
        let names = self.scenario.thread_names();
        p.runnable
            .iter()
            .map(|&t| {
                let mut d = self.decisions.clone();
                d.push(Decision::Run(t));
                let (ex, _) = run(&self.scenario, self.kernel, &d);
                let switch = ex.switches.iter().find(|s| s.step == p.step).copied();
                let all: Vec<_> = ex.events.iter().filter(|e| e.step == p.step).cloned().collect();
                let told: Vec<_> = all
                    .iter()
                    .filter(|e| !matches!(e.kind, EventKind::Enter { .. } | EventKind::Exit { .. }))
                    .cloned()
                    .collect();
                let what = narrate(&told, &analyze(&ex.events), &names);
                let calls = || {
                    let mut f: Vec<String> = all
                        .iter()
                        .filter_map(|e| match e.kind {
                            EventKind::Enter { func } => Some(format!("{}()", func.name())),
                            _ => None,
                        })
                        .collect();
                    f.dedup();
                    if f.is_empty() {
                        "returns from a function".to_string()
                    } else {
                        format!("enters {}", f.join(" → "))
                    }
                };
                let what = if what.is_empty() { calls() } else { what.join("; ") };
                Peek { tid: t, what, switch }
            })
            .collect()
    }
}

/// What picking one thread would do.
#[derive(Clone, Debug)]
pub struct Peek {
    pub tid: Tid,
    /// Its next step, in daxlab's words.
    pub what: String,
    /// The switch the pick makes, if another thread ran last.
    pub switch: Option<Switch>,
}

impl Peek {
    /// For a pick that costs a preemption, what the switch is and its cost: "T1 is
    /// preempted; T2 runs on its CPU: +1 preemption". Free switches say nothing.
    pub fn cost(&self, names: &[String]) -> Option<String> {
        self.switch.filter(Switch::preempted).map(|s| format!("{}: +1 preemption", s.describe(names)))
    }
}

/// What making `choice` fail in thread `name` does, in words (the workbench's button and
/// `daxlab play` say the same).
fn injection_text(name: &str, choice: Choice) -> String {
    match choice {
        Choice::PreloadEnomem => format!("{name}'s radix_tree_preload() fails with -ENOMEM"),
        Choice::AtomicNodeAllocFails => {
            format!("{name}'s GFP_ATOMIC radix-tree node allocation fails (the node comes from the preload pool)")
        }
        Choice::XaNodeAllocFails => {
            format!("{name}'s GFP_NOWAIT xa_node allocation under xa_lock fails (-ENOMEM, xas_nomem() retries)")
        }
        Choice::XasNomemFails => format!("{name}'s xas_nomem() allocation fails (-ENOMEM)"),
    }
}
