//! tag_pages_for_writeback() (mm/page-writeback.c, v4.11).

use crate::fs::AddressSpace;
use crate::radix::{PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE};
use crate::sim::Cx;
use crate::trace::EventKind;
use std::panic::Location;

/// How many entries are tagged before tree_lock is dropped for a cond_resched().
pub const WRITEBACK_TAG_BATCH: usize = 4096;

/// Copies DIRTY to TOWRITE for every entry in [start, end], so that a data-integrity sync
/// writes exactly what was dirty when it started, not what gets dirtied while it runs.
/// v4.11 walks with radix_tree_for_each_tagged() under tree_lock and resumes the walk
/// after dropping the lock every WRITEBACK_TAG_BATCH entries.
pub async fn tag_pages_for_writeback(cx: &Cx<'_>, mapping: &AddressSpace, start: u64, end: u64) {
    let at = Location::caller();
    let mut index = start;
    loop {
        cx.spin_lock_irq(&mapping.tree_lock).await;
        cx.sched(at).await;
        let (tagged, resume) = mapping.page_tree.with(|t| {
            let found = t.gang_lookup_tag(index, WRITEBACK_TAG_BATCH, PAGECACHE_TAG_DIRTY);
            let in_range: Vec<_> = found.iter().take_while(|f| f.first_index <= end).collect();
            for f in &in_range {
                t.tag_set(f.first_index, PAGECACHE_TAG_TOWRITE);
            }
            let resume = (in_range.len() == WRITEBACK_TAG_BATCH)
                .then(|| in_range.last().map(|f| f.first_index + (1 << f.order)))
                .flatten();
            (in_range.len() as u32, resume)
        });
        cx.emit(at, || EventKind::TagForWriteback { start: index, end, tagged });
        cx.spin_unlock_irq(&mapping.tree_lock).await;
        match resume {
            Some(next) if next <= end => index = next,
            _ => return,
        }
    }
}
