//! The inode's extent map: file blocks to device blocks, written or unwritten.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtentState {
    Written,
    /// Allocated (e.g. by posix_fallocate) but reads as zeros until written.
    Unwritten,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extent {
    pub fblk: u64,
    pub len: u64,
    pub pblk: u64,
    pub state: ExtentState,
}

impl Extent {
    pub fn end(&self) -> u64 {
        self.fblk + self.len
    }
    fn joins(&self, next: &Extent) -> bool {
        self.end() == next.fblk && self.pblk + self.len == next.pblk && self.state == next.state
    }
}

/// Non-overlapping extents keyed by first file block, kept merged the way xfs and ext4
/// report them: adjacent extents contiguous on disk and in the same state are one.
#[derive(Clone, Debug, Default)]
pub struct ExtentMap(BTreeMap<u64, Extent>);

impl ExtentMap {
    pub fn find(&self, fblk: u64) -> Option<Extent> {
        self.0.range(..=fblk).next_back().map(|(_, e)| *e).filter(|e| e.end() > fblk)
    }

    /// First file block at or after `fblk` that an extent starts at.
    pub fn next_start(&self, fblk: u64) -> Option<u64> {
        self.0.range(fblk..).next().map(|(k, _)| *k)
    }

    /// Adds an extent over a range that must be a hole, merging with its neighbours.
    pub fn insert(&mut self, mut e: Extent) {
        if let Some(prev) = self.0.range(..e.fblk).next_back().map(|(_, p)| *p)
            && prev.joins(&e)
        {
            self.0.remove(&prev.fblk);
            e = Extent { fblk: prev.fblk, len: prev.len + e.len, pblk: prev.pblk, state: e.state };
        }
        if let Some(next) = self.0.get(&e.end()).copied()
            && e.joins(&next)
        {
            self.0.remove(&next.fblk);
            e.len += next.len;
        }
        self.0.insert(e.fblk, e);
    }

    /// Removes [fblk, fblk+len) from whatever extents cover it; returns the freed pieces.
    pub fn remove_range(&mut self, fblk: u64, len: u64) -> Vec<Extent> {
        let end = fblk + len;
        let hit: Vec<Extent> = self.0.range(..end).map(|(_, e)| *e).filter(|e| e.end() > fblk).collect();
        let mut freed = Vec::new();
        for e in hit {
            self.0.remove(&e.fblk);
            if e.fblk < fblk {
                let keep = fblk - e.fblk;
                self.0.insert(e.fblk, Extent { len: keep, ..e });
            }
            if e.end() > end {
                let skip = end - e.fblk;
                self.0.insert(end, Extent { fblk: end, len: e.len - skip, pblk: e.pblk + skip, state: e.state });
            }
            let from = e.fblk.max(fblk);
            let to = e.end().min(end);
            freed.push(Extent { fblk: from, len: to - from, pblk: e.pblk + (from - e.fblk), state: e.state });
        }
        freed
    }

    /// Marks [fblk, fblk+len) written (it must be allocated), splitting and re-merging.
    pub fn mark_written(&mut self, fblk: u64, len: u64) {
        for piece in self.remove_range(fblk, len) {
            self.insert(Extent { state: ExtentState::Written, ..piece });
        }
        // Re-merge pieces left on either side of the range.
        let all: Vec<Extent> = std::mem::take(&mut self.0).into_values().collect();
        for e in all {
            self.insert(e);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Extent> {
        self.0.values()
    }
}
