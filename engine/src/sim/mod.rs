//! The deterministic executor: emulated kernel threads are futures, polled one at a time,
//! with a [`Scheduler`] choosing who runs at every scheduling point.

mod cpus;
mod cx;
mod executor;
mod pct;
mod scheduler;

pub use crate::footprint::{Access, Mode, Obj, ObjKind, footprints_conflict};
pub use cpus::{Switch, SwitchHow};
pub use cx::{Cx, FnScope, Runtime, SchedPoint};
pub use executor::{Pause, SimResult, SimRuntime, ThreadEnd, ThreadSpawn};
pub use pct::PctScheduler;
pub use scheduler::{
    After, Choice, ChoicePick, DefaultScheduler, FollowScheduler, InteractiveScheduler, RandomScheduler,
    ReplayScheduler, Scheduler, SplitMix64, StepInfo, ThreadPick,
};

use serde::{Deserialize, Serialize};

/// An emulated kernel thread, numbered from 0 in scenario order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tid(pub u8);

impl Tid {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A set of threads, small enough to live in one word (the model caps threads at 64).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TidSet(pub u64);

impl TidSet {
    pub fn insert(&mut self, t: Tid) {
        self.0 |= 1 << t.0;
    }
    pub fn contains(self, t: Tid) -> bool {
        self.0 & (1 << t.0) != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Tid> {
        (0..64u8).filter(move |i| self.0 & (1 << i) != 0).map(Tid)
    }
}

impl Serialize for TidSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A length-prefixed sequence: postcard needs the length up front.
        s.collect_seq(self.iter().collect::<Vec<_>>())
    }
}

impl<'de> Deserialize<'de> for TidSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let tids = Vec::<Tid>::deserialize(d)?;
        let mut set = TidSet::default();
        for t in tids {
            if t.0 >= 64 {
                return Err(serde::de::Error::custom(format!("thread id {} is out of range 0..64", t.0)));
            }
            set.insert(t);
        }
        Ok(set)
    }
}

/// One scheduling decision. Only points with a real choice are recorded: a step where a
/// single thread could run is forced and needs no decision to replay.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Run this thread next.
    Run(Tid),
    /// The answer to a nondeterministic kernel choice (e.g. 1 = make this preload fail).
    Choose(u32),
}

/// Every decision of one execution, in order: enough to replay it exactly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Schedule(pub Vec<Decision>);

impl Schedule {
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
