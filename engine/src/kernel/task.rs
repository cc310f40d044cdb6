//! Per-task state: preemption count, the per-CPU radix-tree preload pool, and the task
//! state that sleeping and waking move between. Each emulated thread runs on its own CPU,
//! so per-CPU and per-task state coincide.

use super::Shared;
use crate::footprint::{self, Obj, ObjKind};
use crate::sim::Tid;
use serde::{Deserialize, Serialize};

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    #[default]
    Running,
    /// TASK_UNINTERRUPTIBLE, set by prepare_to_wait; a wake-up sets it back to running.
    Uninterruptible,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub preempt_count: u32,
    /// Nodes in this CPU's radix_tree_preloads pool.
    pub preload_nr: u32,
    pub state: TaskState,
}

#[derive(Debug)]
pub struct Tasks(Shared<Vec<Task>>);

impl Tasks {
    /// `n` tasks, each on its own CPU, whose preload pool holds `pool` nodes.
    pub fn new(n: usize, pool: u32) -> Self {
        Tasks(Shared::new(vec![Task { preload_nr: pool, ..Task::default() }; n]))
    }

    /// This task's preemption count and preload pool, which only its own thread uses (see
    /// [`Tasks::state`] for the state word others write).
    pub fn with<R>(&self, tid: Tid, f: impl FnOnce(&mut Task) -> R) -> R {
        footprint::writes(Obj::at(ObjKind::TaskLocal, u32::from(tid.0), 0));
        self.0.with(|t| f(&mut t[tid.index()]))
    }

    pub fn get(&self, tid: Tid) -> Task {
        footprint::reads(Obj::at(ObjKind::TaskLocal, u32::from(tid.0), 0));
        self.0.with(|t| t[tid.index()].clone())
    }

    /// The task state word: set by the task going to sleep, and by whoever wakes it.
    pub fn state(&self, tid: Tid) -> TaskState {
        footprint::reads(Obj::at(ObjKind::TaskState, u32::from(tid.0), 0));
        self.0.with(|t| t[tid.index()].state)
    }

    pub fn set_state(&self, tid: Tid, state: TaskState) {
        footprint::writes(Obj::at(ObjKind::TaskState, u32::from(tid.0), 0));
        self.0.with(|t| t[tid.index()].state = state)
    }
    pub fn snapshot(&self) -> Vec<Task> {
        self.0.snapshot()
    }
}
