//! The DAX wait table: 4096 hashed wait queues shared by every mapping. Waiters carry an
//! exact key (mapping, entry_start); a wake-up on a bucket only reaches waiters whose key
//! matches, but different keys can share a bucket.

use super::{Shared, TaskState, WaitOn};
use crate::check::Invariant;
use crate::sim::{Cx, Tid, TidSet};
use crate::trace::EventKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::panic::Location;

pub const DAX_WAIT_TABLE_BITS: u32 = 12;
const GOLDEN_RATIO_64: u64 = 0x61C8_8646_80B5_83EB;

/// hash_long() on a 64-bit kernel: the top `bits` bits of a multiplicative hash.
pub fn hash_long(val: u64, bits: u32) -> u64 {
    val.wrapping_mul(GOLDEN_RATIO_64) >> (64 - bits)
}

/// `struct exceptional_entry_key`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WaitKey {
    pub mapping: u64,
    pub index: u64,
}

impl WaitKey {
    pub fn bucket(self) -> u16 {
        hash_long(self.mapping ^ self.index, DAX_WAIT_TABLE_BITS) as u16
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiter {
    pub tid: Tid,
    pub key: WaitKey,
    pub exclusive: bool,
}

/// Only non-empty queues are stored; the table behaves as all 4096.
#[derive(Debug, Default)]
pub struct WaitTable(Shared<BTreeMap<u16, Vec<Waiter>>>);

impl WaitTable {
    /// prepare_to_wait_exclusive(): queue at the tail unless already queued.
    pub fn prepare_exclusive(&self, w: Waiter) {
        self.0.with(|q| {
            let queue = q.entry(w.key.bucket()).or_default();
            if !queue.iter().any(|x| x.tid == w.tid) {
                queue.push(w);
            }
        })
    }

    /// finish_wait(): dequeue if a wake-up has not already done so.
    pub fn finish(&self, tid: Tid, key: WaitKey) {
        self.0.with(|q| {
            if let Some(queue) = q.get_mut(&key.bucket()) {
                queue.retain(|w| w.tid != tid);
                if queue.is_empty() {
                    q.remove(&key.bucket());
                }
            }
        })
    }

    pub fn active(&self, bucket: u16) -> bool {
        self.0.with(|q| q.contains_key(&bucket))
    }

    /// __wake_up(wq, TASK_NORMAL, nr_exclusive, key) with wake_exceptional_entry_func:
    /// waiters with another key are skipped and do not count; matching waiters are woken and
    /// removed (autoremove); the scan stops after `nr_exclusive` exclusive waiters were
    /// woken (0 = wake all).
    pub fn wake_up(&self, key: WaitKey, nr_exclusive: u32) -> TidSet {
        let bucket = key.bucket();
        self.0.with(|q| {
            let mut woken = TidSet::default();
            let Some(queue) = q.get_mut(&bucket) else {
                return woken;
            };
            let mut left = nr_exclusive;
            let mut i = 0;
            while i < queue.len() {
                let w = queue[i];
                if w.key != key {
                    i += 1;
                    continue;
                }
                queue.remove(i);
                woken.insert(w.tid);
                if w.exclusive && nr_exclusive != 0 {
                    left -= 1;
                    if left == 0 {
                        break;
                    }
                }
            }
            if queue.is_empty() {
                q.remove(&bucket);
            }
            woken
        })
    }

    pub fn snapshot(&self) -> Vec<(u16, Vec<Waiter>)> {
        self.0.with(|q| q.iter().map(|(b, w)| (*b, w.clone())).collect())
    }
}

impl Cx<'_> {
    /// Queues this task exclusively on `key` and marks it TASK_UNINTERRUPTIBLE. Called under
    /// tree_lock, which also orders it against the unlock it waits for, so it needs no
    /// scheduling point of its own.
    #[track_caller]
    pub fn prepare_to_wait_exclusive(&self, key: WaitKey) {
        let at = Location::caller();
        self.k.wait_table.prepare_exclusive(Waiter { tid: self.tid, key, exclusive: true });
        self.k.tasks.with(self.tid, |t| t.state = TaskState::Uninterruptible);
        self.emit(at, || EventKind::WaitBegin { key, bucket: key.bucket(), exclusive: true });
    }

    /// schedule() after prepare_to_wait: returns at once if a wake-up already came,
    /// otherwise sleeps until one does.
    #[track_caller]
    pub fn schedule<'a>(&'a self, on: WaitOn) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            self.might_sleep(at);
            loop {
                self.sched(at).await;
                if self.k.tasks.get(self.tid).state == TaskState::Running {
                    return;
                }
                self.block(on);
            }
        }
    }

    /// might_sleep(): this call may sleep, which is a bug while preemption is disabled
    /// (under a spin lock, or between radix_tree_preload() and radix_tree_preload_end()).
    pub(crate) fn might_sleep(&self, at: &'static Location<'static>) {
        let preempt_count = self.k.tasks.get(self.tid).preempt_count;
        if preempt_count > 0 {
            self.bug(at, Invariant::SleepInAtomic { preempt_count });
        }
    }

    #[track_caller]
    pub fn finish_wait(&self, key: WaitKey) {
        let at = Location::caller();
        self.k.wait_table.finish(self.tid, key);
        self.k.tasks.with(self.tid, |t| t.state = TaskState::Running);
        self.emit(at, || EventKind::WaitEnd { key });
    }

    /// `if (waitqueue_active(wq)) __wake_up(wq, TASK_NORMAL, nr, &key)`.
    #[track_caller]
    pub fn wake_up_key<'a>(&'a self, key: WaitKey, wake_all: bool) -> impl Future<Output = ()> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            let bucket = key.bucket();
            if !self.k.wait_table.active(bucket) {
                return;
            }
            let woken = self.k.wait_table.wake_up(key, if wake_all { 0 } else { 1 });
            for t in woken.iter() {
                self.k.tasks.with(t, |task| task.state = TaskState::Running);
                self.rt().wake(t);
            }
            self.emit(at, || EventKind::Wake { key, bucket, all: wake_all, woken });
        }
    }
}
