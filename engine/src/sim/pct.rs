//! PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi and Nagarakatte,
//! "A randomized scheduler with probabilistic guarantees of finding bugs", ASPLOS 2010).
//!
//! Every thread gets a random priority, and the highest-priority runnable thread runs. At
//! `depth - 1` change points, steps drawn uniformly from the first `steps` of the
//! execution, the thread that ran last drops below every other thread, those lowered
//! before included (as Coyote's PCT moves it to the end of its priority list). A bug that needs `depth` ordering constraints is then found by one
//! run with probability at least 1 / (threads · steps^(depth-1)). A change point that falls
//! on a step where only one thread could run takes effect at the next decision. Injected
//! failures are chosen as [`super::RandomScheduler`] chooses them.

use super::Tid;
use super::scheduler::{ChoicePick, Scheduler, SplitMix64, ThreadPick};

#[derive(Debug)]
pub struct PctScheduler {
    rng: SplitMix64,
    /// Per thread, once seen: its priority; initial ones are above `u32::MAX`.
    priority: Vec<Option<u64>>,
    /// Change points, ascending, and how many have taken effect.
    change: Vec<u32>,
    applied: usize,
    last: Option<Tid>,
}

impl PctScheduler {
    pub const MAX_DEPTH: u32 = 64;

    /// `steps`: the length over which change points are drawn (an estimate of the
    /// execution's length, e.g. the serial execution's steps).
    pub fn new(seed: u64, depth: u32, steps: u32) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut change: Vec<u32> = (1..depth).map(|_| rng.below(u64::from(steps.max(1))) as u32).collect();
        change.sort_unstable();
        PctScheduler { rng, priority: Vec::new(), change, applied: 0, last: None }
    }

    fn priority_of(&mut self, t: Tid) -> u64 {
        if self.priority.len() <= t.index() {
            self.priority.resize(t.index() + 1, None);
        }
        *self.priority[t.index()].get_or_insert_with(|| (1 << 32) | (self.rng.next_u64() >> 32 << 1))
    }
}

impl Scheduler for PctScheduler {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        while self.applied < self.change.len() && self.change[self.applied] <= pick.step {
            if let Some(t) = pick.current.or(self.last) {
                self.priority_of(t);
                self.priority[t.index()] = Some((self.change.len() - self.applied) as u64);
            }
            self.applied += 1;
        }
        let mut best = pick.runnable[0];
        let mut top = self.priority_of(best);
        for &t in &pick.runnable[1..] {
            let p = self.priority_of(t);
            if p > top {
                (best, top) = (t, p);
            }
        }
        self.last = Some(best);
        best
    }

    fn pick_choice(&mut self, pick: &ChoicePick) -> u32 {
        if self.rng.below(8) == 0 { 1 + self.rng.below(u64::from(pick.options - 1)) as u32 } else { 0 }
    }
}
