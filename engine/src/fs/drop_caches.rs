//! `echo 1 > /proc/sys/vm/drop_caches` for the DAX file (fs/drop_caches.c).

use crate::kernel::Errno;
use crate::mm::invalidate_mapping_pages;
use crate::sim::Cx;
use crate::trace::Func;
use crate::trace::Syscall;
use std::panic::Location;

/// drop_pagecache_sb() for our inode: skipped when it has no pages (a DAX file with only
/// exceptional entries), else invalidate_mapping_pages() over the whole file, with no
/// filesystem lock held. Returns how many hole pages were dropped.
pub async fn drop_pagecache_sb(cx: &Cx<'_>) -> Result<u64, Errno> {
    let _f = cx.enter(Func::DropPagecacheSb);
    let at = Location::caller();
    let mapping = &cx.k.mapping;
    cx.syscall_enter(at, Syscall::DropCaches, 0, 0).await;
    let dropped = if mapping.nrpages() == 0 { 0 } else { invalidate_mapping_pages(cx, mapping, 0, u64::MAX).await };
    cx.syscall_exit(at, Syscall::DropCaches, Ok(dropped))
}
