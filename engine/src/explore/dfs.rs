//! Preemption-bounded depth-first search over scheduling decisions.

use crate::sim::{ChoicePick, Scheduler, ThreadPick, Tid};

#[derive(Debug)]
struct Frame {
    /// Alternatives in the order they are tried: for a thread pick the running thread (if
    /// it may continue) comes first, so the default costs no preemption.
    options: Vec<u32>,
    chosen: usize,
    /// For thread picks: the thread that could have continued.
    current: Option<u32>,
    is_thread: bool,
    preemptions_before: u32,
}

/// Replays the decisions on its stack, extends the stack with default choices past its
/// end, and between executions moves to the next unexplored alternative within the bound.
#[derive(Debug)]
pub struct DfsScheduler {
    stack: Vec<Frame>,
    pos: usize,
    bound: u32,
    /// Explore only below this branch of the first decision (one part of a split search).
    pinned: Option<usize>,
}

impl DfsScheduler {
    pub fn new(bound: u32) -> Self {
        DfsScheduler { stack: Vec::new(), pos: 0, bound, pinned: None }
    }

    /// Only the subtree below branch `branch` of the first decision (see
    /// [`super::split`]): the parts for every branch together are the whole search.
    pub fn below(bound: u32, branch: usize) -> Self {
        DfsScheduler { pinned: Some(branch), ..DfsScheduler::new(bound) }
    }

    fn decide(&mut self, make: impl FnOnce() -> Frame) -> u32 {
        if self.pos == self.stack.len() {
            let mut f = make();
            if let (true, Some(b)) = (self.stack.is_empty(), self.pinned) {
                f.chosen = b.min(f.options.len() - 1);
            }
            self.stack.push(f);
        }
        let f = &self.stack[self.pos];
        self.pos += 1;
        f.options[f.chosen]
    }

    /// Prepares the next execution; false when the search space is exhausted.
    pub fn next_execution(&mut self) -> bool {
        self.pos = 0;
        loop {
            // A part of a split search never leaves its branch of the first decision.
            if self.pinned.is_some() && self.stack.len() == 1 {
                self.stack.clear();
            }
            let Some(f) = self.stack.last_mut() else { return false };
            for next in f.chosen + 1..f.options.len() {
                let cost = u32::from(f.is_thread && f.current.is_some_and(|c| c != f.options[next]));
                if f.preemptions_before + cost <= self.bound {
                    f.chosen = next;
                    return true;
                }
            }
            self.stack.pop();
        }
    }
}

impl Scheduler for DfsScheduler {
    fn pick_thread(&mut self, pick: &ThreadPick<'_>) -> Tid {
        Tid(self.decide(|| {
            let current = pick.current.map(|t| u32::from(t.0));
            let mut options: Vec<u32> = current.into_iter().collect();
            options.extend(pick.runnable.iter().map(|t| u32::from(t.0)).filter(|t| Some(*t) != current));
            Frame { options, chosen: 0, current, is_thread: true, preemptions_before: pick.preemptions }
        }) as u8)
    }

    fn pick_choice(&mut self, pick: &ChoicePick) -> u32 {
        self.decide(|| Frame {
            options: (0..pick.options).collect(),
            chosen: 0,
            current: None,
            is_thread: false,
            preemptions_before: 0,
        })
    }
}
