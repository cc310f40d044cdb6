//! The DAX wait table: 4096 hashed wait queues shared by every mapping. Waiters carry an
//! exact key (mapping, entry_start); a wake-up on a bucket only reaches waiters whose key
//! matches, but different keys can share a bucket. Sleeping on it and waking it
//! (prepare_to_wait_exclusive, schedule, finish_wait, wake_up) are in `cx.rs`.

use super::Shared;
use crate::footprint::{self, Obj, ObjKind};
use crate::sim::{Tid, TidSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// One hashed queue: waiters of different keys that share it are ordered in it too.
fn bucket_obj(bucket: u16) -> Obj {
    Obj::at(ObjKind::WaitBucket, u32::from(bucket), 0)
}

impl WaitTable {
    /// prepare_to_wait_exclusive(): queue at the tail unless already queued.
    pub fn prepare_exclusive(&self, w: Waiter) {
        footprint::writes(bucket_obj(w.key.bucket()));
        self.0.with(|q| {
            let queue = q.entry(w.key.bucket()).or_default();
            if !queue.iter().any(|x| x.tid == w.tid) {
                queue.push(w);
            }
        })
    }

    /// finish_wait(): dequeue if a wake-up has not already done so.
    pub fn finish(&self, tid: Tid, key: WaitKey) {
        footprint::writes(bucket_obj(key.bucket()));
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
        footprint::reads(bucket_obj(bucket));
        self.0.with(|q| q.contains_key(&bucket))
    }

    /// __wake_up(wq, TASK_NORMAL, nr_exclusive, key) with wake_exceptional_entry_func:
    /// waiters with another key are skipped and do not count; matching waiters are woken and
    /// removed (autoremove); the scan stops after `nr_exclusive` exclusive waiters were
    /// woken (0 = wake all).
    pub fn wake_up(&self, key: WaitKey, nr_exclusive: u32) -> TidSet {
        let bucket = key.bucket();
        footprint::writes(bucket_obj(bucket));
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
