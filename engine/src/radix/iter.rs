//! Gang lookups: radix_tree_for_each_slot / radix_tree_for_each_tagged as the page cache
//! uses them (find_get_entries, find_get_entries_tag, tag_pages_for_writeback).
//!
//! radix_tree_next_chunk() descends with radix_tree_descend(), which resolves a sibling slot
//! to its canonical slot, and reports `iter.index` from the canonical offset. So a walk that
//! starts in the middle of a multi-order entry still returns that entry, at its first index
//! (dax_writeback_one() relies on it: "the 'index' we are given will be aligned to the start
//! index of the PMD"). Tags live on canonical slots only, so a tagged walk sees each tagged
//! entry once.

use super::footprint as fp;
use super::{Found, RadixTree};
use crate::footprint;

impl RadixTree {
    /// Up to `max` entries covering some index >= `start`, in index order, each reported at
    /// its first index: `radix_tree_for_each_slot(.., start)` stopped after `max` entries.
    pub fn gang_lookup(&self, start: u64, max: usize) -> Vec<Found> {
        self.walk(start, max, None)
    }

    /// The same walk restricted to entries carrying `tag` (`radix_tree_for_each_tagged`).
    pub fn gang_lookup_tag(&self, start: u64, max: usize, tag: u32) -> Vec<Found> {
        self.walk(start, max, Some(tag))
    }

    fn walk(&self, start: u64, max: usize, tag: Option<u32>) -> Vec<Found> {
        let found: Vec<Found> = self
            .entries()
            .into_iter()
            .filter(|(f, tags)| {
                let last = f.first_index + ((1u64 << f.order) - 1);
                last >= start && tag.is_none_or(|t| tags & (1 << t) != 0)
            })
            .map(|(f, _)| f)
            .take(max)
            .collect();
        // What the walk saw: everything from `start` up to the last entry it returned, or
        // to the end if it ran out before `max`.
        let end = match found.last() {
            Some(f) if found.len() == max => f.first_index + ((1u64 << f.order) - 1),
            _ => u64::MAX,
        };
        footprint::reads(fp::entries(start, end));
        if let Some(t) = tag {
            footprint::reads(fp::tags(t, start, end));
        }
        found
    }

    /// Sets `to` on up to `max` entries tagged `from` whose first index lies in
    /// [start, end], walking from `start` (the loop body of tag_pages_for_writeback()).
    /// Returns how many were tagged and, if the batch filled up, where to resume.
    pub fn copy_tag_range(&mut self, start: u64, end: u64, max: usize, from: u32, to: u32) -> (u32, Option<u64>) {
        let found = self.gang_lookup_tag(start, max, from);
        let in_range: Vec<_> = found.iter().take_while(|f| f.first_index <= end).collect();
        for f in &in_range {
            self.tag_set(f.first_index, to);
        }
        let resume = (in_range.len() == max).then(|| in_range.last().map(|f| f.first_index + (1 << f.order))).flatten();
        (in_range.len() as u32, resume)
    }
}
