//! What a level can ask beyond an outcome: events in a given order (an interleaving the
//! exploration's witness does not show), a bound of the player's choosing for a
//! "cannot-fail" proof, and a question with one right choice.

use super::{Challenge, Goal, Verdict, the_kernel};
use crate::explore::{ExploreConfig, explore};
use crate::release::Kernel;
use crate::sim::Tid;
use crate::trace::{Event, EventKind};
use serde::Deserialize;

/// The largest bound a player may ask a proof for (a bound of 6 already explores millions of
/// interleavings of the bigger scenarios).
pub const MAX_PROOF_BOUND: u32 = 6;

/// One event the run must show: thread `thread` has an event of kind `event` (a name of
/// [`EventKind::NAMES`], e.g. "insert", "wait_begin", "fallback", "restart", "bug").
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sighting {
    pub thread: String,
    pub event: String,
}

/// A question with one right choice.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub text: String,
    pub choices: Vec<String>,
    /// The right choice, counted from 1.
    pub answer: u32,
    /// Shown with a right answer: why it is right.
    #[serde(default)]
    pub why: String,
}

impl Sighting {
    fn text(&self) -> String {
        format!("{}'s {}", self.thread, self.event)
    }
}

/// "T2's insert, then T1's wait_begin, then T2's replace".
pub(super) fn order_text(order: &[Sighting]) -> String {
    order.iter().map(Sighting::text).collect::<Vec<_>>().join(", then ")
}

/// The first sighting of `order` the events do not show in order, if any.
pub(super) fn first_missing<'a>(order: &'a [Sighting], events: &[Event], names: &[String]) -> Option<&'a Sighting> {
    let name = |t: Tid| names.get(t.index()).map(String::as_str).unwrap_or("");
    let mut events = events.iter();
    order.iter().find(|s| !events.any(|e| name(e.tid) == s.thread && e.kind.name() == s.event))
}

/// Problems with what a level asks, found when it is loaded.
pub(super) fn check_asks(c: &Challenge) -> Result<(), String> {
    let names = c.scenario.thread_names();
    if let Goal::Reach { order, .. } = &c.goal {
        for (i, s) in order.iter().enumerate() {
            if !names.contains(&s.thread) {
                return Err(format!(
                    "`goal.order[{i}].thread`: `{}` is not a thread of {} ({})",
                    s.thread,
                    c.scenario.name,
                    names.join(", ")
                ));
            }
            if !EventKind::NAMES.contains(&s.event.as_str()) {
                return Err(format!("`goal.order[{i}].event`: `{}` is not an event kind of the trace format", s.event));
            }
        }
    }
    if let Goal::CannotFail { preemptions, against } = &c.goal {
        if *preemptions > MAX_PROOF_BOUND {
            return Err(format!("`goal.preemptions`: at most {MAX_PROOF_BOUND}"));
        }
        if let Some(other) = against {
            let k = Kernel::parse(other).map_err(|e| format!("`goal.against`: {e}"))?;
            if k == c.kernel {
                return Err("`goal.against` must name another kernel than the level's".into());
            }
        }
    }
    if let Some(q) = &c.question {
        let n = q.choices.len() as u32;
        if n < 2 || !(1..=n).contains(&q.answer) {
            return Err(format!("`question`: give at least two choices and an `answer` from 1 to {n}"));
        }
    }
    Ok(())
}

impl Challenge {
    /// Checks the player's answer to the level's question (`choice` counted from 1).
    pub fn check_answer(&self, choice: u32) -> Verdict {
        let Some(q) = &self.question else { return Verdict::fail("this level asks no question".into()) };
        let n = q.choices.len() as u32;
        if !(1..=n).contains(&choice) {
            return Verdict::fail(format!("choose a number from 1 to {n}"));
        }
        if choice != q.answer {
            return Verdict::fail(format!("not choice {choice}: look at your run again, or take a hint"));
        }
        let why = q.why.split_whitespace().collect::<Vec<_>>().join(" ");
        Verdict::pass(if why.is_empty() {
            format!("choice {choice} is right.")
        } else {
            format!("choice {choice}: {why}")
        })
    }

    /// A "cannot-fail" level played with the player's `bound`: every interleaving with at
    /// most that many preemptions is explored on the level's kernel, which must not fail;
    /// with `against`, the other kernel is explored too and must fail at that bound, or the
    /// exploration could not tell a fixed kernel from a broken one.
    pub fn prove(&self, bound: u32) -> Verdict {
        let Goal::CannotFail { against, .. } = &self.goal else {
            return Verdict::fail(format!("this level wants a run of yours: {}", self.goal_text()));
        };
        if bound > MAX_PROOF_BOUND {
            return Verdict::fail(format!("choose a bound from 0 to {MAX_PROOF_BOUND}"));
        }
        let ours = explore(&self.scenario, &ExploreConfig::exhaustive(self.kernel, bound), &mut |_| {});
        let other = against.as_deref().and_then(|a| Kernel::parse(a).ok());
        let Some(other) = other.filter(|_| ours.complete && ours.failures().next().is_none()) else {
            return self.check_exploration(&ours);
        };
        let theirs = explore(&self.scenario, &ExploreConfig::exhaustive(other, bound), &mut |_| {});
        let at = format!("{bound} preemption{}{}", plural(bound), self.on_machine());
        match theirs.failures().next() {
            None => Verdict::fail(format!(
                "no failure within {at} on {} — but none on {} either: this bound cannot tell a fixed kernel from a broken one. Raise it.",
                the_kernel(self.kernel),
                the_kernel(other)
            )),
            Some(row) => Verdict::pass(format!(
                "All {} interleavings with at most {at} end without a failure on {}, and {}, explored the same way, fails with {}: the bound tells them apart.",
                ours.executions,
                the_kernel(self.kernel),
                the_kernel(other),
                row.class
            )),
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}
