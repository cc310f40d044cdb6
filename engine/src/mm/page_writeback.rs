//! tag_pages_for_writeback() (mm/page-writeback.c, v4.11).

use crate::fs::AddressSpace;
use crate::radix::{PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE};
use crate::sim::Cx;
use crate::trace::EventKind;
use crate::trace::Func;
use std::panic::Location;

/// How many entries are tagged before tree_lock is dropped for a cond_resched().
pub const WRITEBACK_TAG_BATCH: usize = 4096;

/// Copies DIRTY to TOWRITE for every entry in [start, end], so that a data-integrity sync
/// writes exactly what was dirty when it started, not what gets dirtied while it runs.
/// v4.11 walks with radix_tree_for_each_tagged() under tree_lock and resumes the walk
/// after dropping the lock every WRITEBACK_TAG_BATCH entries.
pub async fn tag_pages_for_writeback(cx: &Cx<'_>, mapping: &AddressSpace, start: u64, end: u64) {
    let _f = cx.enter(Func::TagPagesForWriteback);
    let at = Location::caller();
    let mut index = start;
    loop {
        cx.spin_lock_irq(&mapping.tree_lock).await;
        cx.sched(at).await;
        let (tagged, resume) = mapping
            .page_tree
            .with(|t| t.copy_tag_range(index, end, WRITEBACK_TAG_BATCH, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE));
        cx.emit(at, || EventKind::TagForWriteback { start: index, end, tagged });
        cx.spin_unlock_irq(&mapping.tree_lock).await;
        match resume {
            Some(next) if next <= end => index = next,
            _ => return,
        }
    }
}
