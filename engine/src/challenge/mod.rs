//! Challenges: a scenario, a kernel and a goal, in the spirit of The Deadlock
//! Empire's levels. The workbench's "Be the scheduler" mode loads one and checks the
//! player's run against it; `daxlab challenge FILE [TRACE]` does the same from the shell.
//!
//! A challenge is a TOML file (docs/challenges.md):
//!
//! ```toml
//! [challenge]
//! title = "Make the unfixed kernel fail"
//! level = 1
//! scenario = "seed-race"     # a built-in name, or a .toml path relative to this file
//! kernel = "v4.11-rc5"       # any kernel (`v4.12 without 13e451fdc1af`); `variant =
//!                            # "unfixed"` or `"fixed"`, the older key, still works
//! cpus = 1                   # optional: the machine's CPUs (default: one per thread)
//! story = "..."
//! hints = ["...", "..."]
//!
//! [goal]
//! kind = "reach"                       # your run must end like this
//! outcome = "bug(pte-under-huge-pmd)"  # an outcome class, or "any-failure"
//! notes = []                           # notes the run must carry, e.g. "restart(relookup)"
//! max_preemptions = 2                  # optional
//! ```
//!
//! or `kind = "cannot-fail"` with `preemptions = N`: show, by exhaustive exploration to a
//! bound of the player's choosing (at least N), that no interleaving fails. A reach goal may
//! also ask for events in an `order`, and any level for the answer to a `[question]`
//! (asks.rs).

mod asks;
mod branch;

pub use asks::{MAX_PROOF_BOUND, Question, Sighting};
pub use branch::{Branch, Peek, PickError};

use crate::explore::ExploreReport;
use crate::release::Kernel;
use crate::scenario::Execution;
use crate::scenario::{MAX_PREEMPTIONS, Scenario, ScenarioError};
use crate::trace::{Trace, verify};
use crate::{Note, Outcome};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ChallengeError {
    #[error("cannot read challenge {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("{origin}: the challenge's scenario: {source}")]
    Scenario { origin: String, source: ScenarioError },
}

/// What the player has to achieve.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Goal {
    /// A run of the player's that ends in `outcome` ("any-failure" for any failure class),
    /// carrying every note in `notes`, with at most `max_preemptions` preemptions.
    Reach {
        outcome: String,
        #[serde(default)]
        notes: Vec<String>,
        max_preemptions: Option<u32>,
        /// Events the run must show, in this order (other events may come between).
        #[serde(default)]
        order: Vec<Sighting>,
    },
    /// No interleaving fails, shown by exhaustive exploration to a bound the player
    /// chooses: at least `preemptions`, and, with `against`, one at which that other kernel
    /// does fail.
    CannotFail {
        preemptions: u32,
        /// A kernel (`unfixed`, `v4.12`, …) that must fail at the player's bound.
        #[serde(default)]
        against: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    title: String,
    level: u32,
    scenario: String,
    /// `unfixed` / `fixed` (format 1), or any kernel with `kernel`.
    variant: Option<String>,
    kernel: Option<String>,
    /// The machine's CPUs, as the scenario key `cpus` (default: the scenario's).
    cpus: Option<std::num::NonZeroU32>,
    story: String,
    #[serde(default)]
    hints: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    challenge: Meta,
    goal: Goal,
    question: Option<Question>,
}

#[derive(Clone, Debug)]
pub struct Challenge {
    pub title: String,
    pub level: u32,
    pub scenario: Scenario,
    pub kernel: Kernel,
    pub story: String,
    pub hints: Vec<String>,
    pub goal: Goal,
    /// A question the player answers besides the goal (`daxlab play --answer N`).
    pub question: Option<Question>,
    /// Where it was read from (for messages).
    pub origin: String,
}

/// The answer to "did I do it?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub passed: bool,
    /// One sentence: what the run did, against what was asked.
    pub message: String,
}

impl Verdict {
    fn pass(message: String) -> Verdict {
        Verdict { passed: true, message }
    }
    fn fail(message: String) -> Verdict {
        Verdict { passed: false, message }
    }
}

/// The facts of one run a verdict looks at.
struct Run<'a> {
    kernel: Kernel,
    outcome: &'a Outcome,
    events: &'a [crate::trace::Event],
    notes: Vec<String>,
    preemptions: u32,
    finished: bool,
}

impl Challenge {
    /// Reads a challenge file; a relative scenario path is taken from the file's folder.
    pub fn load(path: &Path) -> Result<Challenge, ChallengeError> {
        let text = crate::input::read_text_capped(path, crate::input::MAX_SCENARIO_BYTES)
            .map_err(|source| ChallengeError::Io { path: path.display().to_string(), source })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Challenge::from_toml(&text, &path.display().to_string(), &dir)
    }

    /// Parses a challenge; `dir` is where a relative scenario path is looked up.
    pub fn from_toml(text: &str, origin: &str, dir: &Path) -> Result<Challenge, ChallengeError> {
        let parse = |message: String| ChallengeError::Parse { origin: origin.to_string(), message };
        let f: File = toml::from_str(text).map_err(|e| parse(e.to_string().trim_end().to_string()))?;
        let m = f.challenge;
        let scenario = if crate::scenario::builtin_names().contains(&m.scenario.as_str()) {
            Scenario::load(&m.scenario)
        } else {
            let p: PathBuf = dir.join(&m.scenario);
            Scenario::from_file(&p)
        }
        .map_err(|source| ChallengeError::Scenario { origin: origin.to_string(), source })?;
        let scenario = match m.cpus {
            Some(n) => scenario
                .with_cpus(Some(n.get()))
                .map_err(|source| ChallengeError::Scenario { origin: origin.to_string(), source })?,
            None => scenario,
        };
        let kernel = match (&m.kernel, &m.variant) {
            (Some(_), Some(_)) => return Err(parse("give `kernel` or `variant`, not both".into())),
            (None, None) => return Err(parse("missing `kernel` (e.g. \"v4.11-rc5\") in [challenge]".into())),
            (Some(k), None) | (None, Some(k)) => Kernel::parse(k).map_err(|e| parse(e.to_string()))?,
        };
        if let Goal::Reach { outcome, .. } = &f.goal
            && outcome.trim().is_empty()
        {
            return Err(parse("`goal.outcome` is empty: name an outcome class or \"any-failure\"".into()));
        }
        if let Goal::Reach { max_preemptions: Some(b), .. } = &f.goal
            && *b > MAX_PREEMPTIONS
        {
            return Err(parse(format!(
                "`goal.max_preemptions` is {b}, more than the largest preemption bound, {MAX_PREEMPTIONS}"
            )));
        }
        let c = Challenge {
            title: m.title,
            level: m.level,
            scenario,
            kernel,
            story: m.story,
            hints: m.hints,
            goal: f.goal,
            question: f.question,
            origin: origin.to_string(),
        };
        asks::check_asks(&c).map_err(parse)?;
        Ok(c)
    }

    /// What the goal asks, in one sentence.
    pub fn goal_text(&self) -> String {
        let v = the_kernel(self.kernel);
        match &self.goal {
            Goal::Reach { outcome, notes, max_preemptions, order } => {
                let mut s = format!("make {v} {}", achievement(outcome, notes));
                if let Some(n) = max_preemptions {
                    s.push_str(&format!(" with at most {n} preemption{}", plural(*n)));
                }
                s.push_str(&self.on_machine());
                if !order.is_empty() {
                    s.push_str(&format!(", in a run that shows {}", asks::order_text(order)));
                }
                s
            }
            Goal::CannotFail { against: Some(other), .. } => format!(
                "show by exploring every interleaving, up to a preemption bound you choose, that {v} cannot fail{} — at a bound where {} does",
                self.on_machine(),
                Kernel::parse(other).map_or_else(|_| format!("kernel {other}"), the_kernel)
            ),
            Goal::CannotFail { .. } => format!(
                "show by exploring every interleaving, up to a preemption bound you choose, that {v} cannot fail{}",
                self.on_machine()
            ),
        }
    }

    /// Checks a saved trace (it is replayed first, so an edited outcome does not count).
    pub fn check_trace(&self, trace: &Trace) -> Verdict {
        if trace.scenario != self.scenario.name || trace.scenario_source.trim() != self.scenario.source.trim() {
            return Verdict::fail(format!(
                "this trace runs scenario `{}`, not the challenge's `{}`",
                trace.scenario, self.scenario.name
            ));
        }
        let v = verify(trace, &self.scenario);
        if let Some(banner) = v.banner(&self.scenario.thread_names()) {
            return Verdict::fail(format!("{banner}; only what the replay does counts"));
        }
        let run = Run {
            kernel: trace.kernel,
            outcome: &v.trace.outcome,
            events: &v.trace.events,
            notes: v.trace.notes.iter().map(|n| n.to_string()).collect(),
            preemptions: v.trace.preemptions,
            // A replay runs to the end: nothing pauses it.
            finished: true,
        };
        self.check(&run)
    }

    /// Checks a run made in the workbench (e.g. the scheduler mode's branch) on `kernel`.
    pub fn check_execution(&self, kernel: Kernel, ex: &Execution) -> Verdict {
        let run = Run {
            kernel,
            outcome: &ex.outcome,
            events: &ex.events,
            notes: notes(&ex.notes),
            preemptions: ex.preemptions,
            finished: ex.paused.is_none(),
        };
        self.check(&run)
    }

    fn check(&self, run: &Run) -> Verdict {
        let Goal::Reach { outcome, notes, max_preemptions, order } = &self.goal else {
            return Verdict::fail(format!(
                "one run cannot {}: explore every interleaving (daxlab play {} --bound N, or the workbench's challenge panel)",
                self.goal_text(),
                self.origin
            ));
        };
        if run.kernel != self.kernel {
            return Verdict::fail(format!(
                "this run is on {}; the challenge is about {}",
                the_kernel(run.kernel),
                the_kernel(self.kernel)
            ));
        }
        if !run.finished {
            return Verdict::fail(
                "the run is not finished yet: keep scheduling (or finish it without preemptions)".into(),
            );
        }
        let class = run.outcome.class();
        let reached = if outcome == "any-failure" { run.outcome.is_failure() } else { class == *outcome };
        let missing: Vec<&String> = notes.iter().filter(|n| !run.notes.contains(n)).collect();
        let ended = describe_run(run);
        if !reached || !missing.is_empty() {
            return Verdict::fail(format!("your run {ended}; the goal is to {}", self.goal_text()));
        }
        if let Some(s) = asks::first_missing(order, run.events, &self.scenario.thread_names()) {
            return Verdict::fail(format!(
                "your run {ended}, but it does not show {} in that order: no {} where the goal wants it",
                asks::order_text(order),
                s.thread.clone() + "'s " + &s.event
            ));
        }
        if let Some(max) = max_preemptions.filter(|m| run.preemptions > *m) {
            return Verdict::fail(format!(
                "your run {ended}, but it took {} preemptions{}; can you do it with {max}?",
                run.preemptions,
                self.on_machine()
            ));
        }
        let n = run.preemptions;
        Verdict::pass(format!(
            "You made {} {} in {n} preemption{}{}.",
            the_kernel(self.kernel),
            achievement(outcome, notes).replace("any failure", &class),
            plural(n),
            self.on_machine()
        ))
    }

    /// Checks an exploration against a "cannot-fail" goal (or, for a "reach" goal, says
    /// whether the exploration shows it is possible).
    pub fn check_exploration(&self, report: &ExploreReport) -> Verdict {
        if report.kernel != self.kernel || report.scenario != self.scenario.name {
            return Verdict::fail(format!(
                "this exploration is of `{}` on {}; the challenge is `{}` on {}",
                report.scenario,
                the_kernel(report.kernel),
                self.scenario.name,
                the_kernel(self.kernel)
            ));
        }
        let Goal::CannotFail { preemptions, .. } = self.goal else {
            return Verdict::fail(format!("this challenge wants a run of yours: {}", self.goal_text()));
        };
        let bound = match report.bound {
            Some(b) if report.complete => b,
            _ => return Verdict::fail("only a complete exhaustive exploration can show that nothing fails".into()),
        };
        if let Some(row) = report.failures().next() {
            return Verdict::fail(format!(
                "the exploration found {} with {} preemption(s): {} can fail",
                row.class,
                row.witness.preemptions,
                the_kernel(self.kernel)
            ));
        }
        if bound < preemptions {
            return Verdict::fail(format!(
                "no failure within {bound} preemption{}, but a bound this small shows little: what does the bug itself need? Raise the bound",
                plural(bound)
            ));
        }
        Verdict::pass(format!(
            "All {} interleavings with at most {bound} preemption{}{} end without a failure: {} cannot fail here.",
            report.executions,
            plural(bound),
            self.on_machine(),
            the_kernel(self.kernel)
        ))
    }

    /// " on 1 CPU" when the level's machine has fewer CPUs than threads (a preemption is
    /// then the kernel's own); nothing on the default machine, one CPU per thread.
    fn on_machine(&self) -> String {
        self.scenario.fewer_cpus().map(|c| format!(" on {c}")).unwrap_or_default()
    }
}

/// How a verdict names a kernel: "the unfixed kernel" for the seed race's two, else
/// "kernel v4.11 without e11f8b7b6c4e".
pub fn the_kernel(k: Kernel) -> String {
    match k.alias() {
        Some(a) => format!("the {a} kernel"),
        None => format!("kernel {k}"),
    }
}

fn notes(set: &std::collections::BTreeSet<Note>) -> Vec<String> {
    set.iter().map(|n| n.to_string()).collect()
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// "install a 4 KiB PTE under a huge PMD", "finish cleanly after restart(relookup)", ...
fn achievement(outcome: &str, notes: &[String]) -> String {
    let what = match outcome {
        "any-failure" => "hit any failure".to_string(),
        "bug(pte-under-huge-pmd)" => "install a 4 KiB PTE under a huge PMD".into(),
        "bug(huge-pmd-over-pte-table)" => "install a huge PMD over a PTE table".into(),
        "oom" => "return VM_FAULT_OOM to a faulting thread".into(),
        "sigbus" => "send SIGBUS to a thread".into(),
        "ok" => "finish without a failure".into(),
        other => format!("end in {other}"),
    };
    if notes.is_empty() { what } else { format!("{what} by way of {}", notes.join(" and ")) }
}

fn describe_run(run: &Run) -> String {
    let notes = if run.notes.is_empty() { String::new() } else { format!(" [{}]", run.notes.join(", ")) };
    format!("ended {}{notes} on {}", run.outcome.class(), the_kernel(run.kernel))
}
