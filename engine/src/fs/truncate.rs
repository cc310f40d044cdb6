//! Changing which blocks back the file: truncate (ext4_setattr / xfs_setattr_size), hole
//! punching (ext4_punch_hole) and preallocation (ext4_fallocate, mode 0). Truncate and
//! punch hole hold i_rwsem and the fault lock exclusively, so no fault and no read or write
//! runs while they remove page-cache entries and free blocks; fsync and drop_caches still
//! can.

use super::BLOCK_SHIFT;
use super::file::i_size_write;
use crate::kernel::Errno;
use crate::mm::{PAGE_SIZE, truncate_pagecache, truncate_pagecache_range};
use crate::sim::Cx;
use crate::trace::Func;
use crate::trace::{EventKind, Syscall};
use std::panic::Location;

/// truncate(2) to `newsize` (page aligned in scenarios, so no partial block is zeroed):
/// i_size first, so a fault that runs afterwards sees the new EOF; then the page cache and
/// the mappings beyond it; then the blocks.
pub async fn daxfs_truncate(cx: &Cx<'_>, newsize: u64) -> Result<u64, Errno> {
    let _f = cx.enter(Func::DaxfsTruncate);
    let at = Location::caller();
    let inode = &cx.k.inode;
    cx.syscall_enter(at, Syscall::Truncate, newsize, 0).await;
    cx.down_write(&inode.i_rwsem).await;
    cx.down_write(&inode.mmap_sem).await;
    let oldsize = inode.i_size();
    i_size_write(cx, newsize).await;
    truncate_pagecache(cx, &cx.k.mapping, newsize).await;
    if newsize < oldsize {
        free_blocks(cx, newsize.next_multiple_of(PAGE_SIZE), u64::MAX).await;
        cx.forget_stores(newsize, u64::MAX);
    }
    cx.up_write(&inode.mmap_sem).await;
    cx.up_write(&inode.i_rwsem).await;
    cx.syscall_exit(at, Syscall::Truncate, Ok(0))
}

/// fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) of a page-aligned range, clamped
/// to i_size as ext4 does.
pub async fn daxfs_punch_hole(cx: &Cx<'_>, offset: u64, len: u64) -> Result<u64, Errno> {
    let _f = cx.enter(Func::DaxfsPunchHole);
    let at = Location::caller();
    let inode = &cx.k.inode;
    cx.syscall_enter(at, Syscall::PunchHole, offset, len).await;
    cx.down_write(&inode.i_rwsem).await;
    let size = inode.i_size();
    if offset < size {
        let end = (offset + len).min(size);
        cx.down_write(&inode.mmap_sem).await;
        let first = offset.next_multiple_of(PAGE_SIZE);
        let last = (end & !(PAGE_SIZE - 1)).wrapping_sub(1);
        if last > first {
            truncate_pagecache_range(cx, &cx.k.mapping, first, last).await;
            free_blocks(cx, first, last + 1).await;
            cx.forget_stores(first, last + 1);
        }
        cx.up_write(&inode.mmap_sem).await;
    }
    cx.up_write(&inode.i_rwsem).await;
    cx.syscall_exit(at, Syscall::PunchHole, Ok(0))
}

/// fallocate(mode 0): unwritten blocks over the holes of the range (reads still see
/// zeros, so nothing cached or mapped changes); i_size grows if the range goes past it.
pub async fn daxfs_fallocate(cx: &Cx<'_>, offset: u64, len: u64) -> Result<u64, Errno> {
    let _f = cx.enter(Func::DaxfsFallocate);
    let at = Location::caller();
    let inode = &cx.k.inode;
    cx.syscall_enter(at, Syscall::Fallocate, offset, len).await;
    cx.down_write(&inode.i_rwsem).await;
    cx.sched(at).await;
    let (fblk, end) = (offset >> BLOCK_SHIFT, (offset + len).div_ceil(PAGE_SIZE));
    let ret = inode.allocate_unwritten(fblk, end - fblk);
    if ret.is_ok() {
        cx.emit(at, || EventKind::BlocksAllocated { fblk, len: end - fblk });
        if offset + len > inode.i_size() {
            i_size_write(cx, offset + len).await;
        }
    }
    cx.up_write(&inode.i_rwsem).await;
    cx.syscall_exit(at, Syscall::Fallocate, ret.map(|_| 0))
}

/// The filesystem removes the extents of file bytes [from, to) and frees their blocks
/// (ext4_ext_remove_space / xfs_itruncate_extents). Freed blocks are not reused.
async fn free_blocks(cx: &Cx<'_>, from: u64, to: u64) {
    let at = Location::caller();
    cx.sched(at).await;
    let (fblk, end) = (from >> BLOCK_SHIFT, to >> BLOCK_SHIFT);
    crate::footprint::writes(crate::footprint::Obj::all(crate::footprint::ObjKind::Extents, 0));
    let freed = cx.k.inode.extents.with(|e| e.remove_range(fblk, end.saturating_sub(fblk)));
    for piece in freed {
        cx.emit(at, || EventKind::BlocksFreed { fblk: piece.fblk, len: piece.len });
    }
}
