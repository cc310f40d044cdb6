//! Call stacks at any event: the kernel functions each thread is inside, from the Enter and
//! Exit events, with the stacks kept at intervals so any position is a short replay away.

use daxlab::trace::{Event, EventKind, Func};

const INTERVAL: usize = 4096;

pub type Stacks = Vec<Vec<Func>>;

pub struct CallIndex {
    threads: usize,
    /// checkpoints[c] = stacks before event c * INTERVAL.
    checkpoints: Vec<Stacks>,
}

fn apply(stacks: &mut Stacks, e: &Event) {
    let Some(s) = stacks.get_mut(e.tid.index()) else { return };
    match &e.kind {
        EventKind::Enter { func } => s.push(*func),
        EventKind::Exit { func } => {
            if let Some(p) = s.iter().rposition(|f| f == func) {
                s.truncate(p);
            }
        }
        EventKind::ThreadExit { .. } => s.clear(),
        _ => {}
    }
}

impl CallIndex {
    pub fn build(events: &[Event], threads: usize) -> CallIndex {
        let mut stacks: Stacks = vec![Vec::new(); threads];
        let mut checkpoints = Vec::with_capacity(events.len() / INTERVAL + 1);
        for (i, e) in events.iter().enumerate() {
            if i % INTERVAL == 0 {
                checkpoints.push(stacks.clone());
            }
            apply(&mut stacks, e);
        }
        if checkpoints.is_empty() {
            checkpoints.push(stacks);
        }
        CallIndex { threads, checkpoints }
    }

    /// Each thread's call stack (outermost first) after the first `pos` events.
    pub fn at(&self, events: &[Event], pos: usize) -> Stacks {
        let pos = pos.min(events.len());
        let c = (pos / INTERVAL).min(self.checkpoints.len() - 1);
        let mut stacks = self.checkpoints[c].clone();
        stacks.resize(self.threads, Vec::new());
        for e in &events[c * INTERVAL..pos] {
            apply(&mut stacks, e);
        }
        stacks
    }
}
