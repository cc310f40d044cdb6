//! The DAX file's operations as ext4 and xfs implement them in v4.11, reduced to what the
//! model needs: the fault handlers, read(2), write(2) and fsync(2). Freeze protection,
//! timestamps and journalling have no effect in the model and are left out.

use crate::dax::{IovIter, WritebackControl, dax_iomap_rw};
use crate::kernel::Errno;
use crate::mm::{PeSize, VmFault, Vmf};
use crate::release::{Era, Fix};
use crate::sim::Cx;
use crate::trace::{EventKind, Func, Syscall};
use std::panic::Location;

/// ext4_dax_huge_fault() in shape: take the fault lock shared (so truncate and punch hole
/// cannot run underneath) and call dax_iomap_fault(). Freeze protection
/// (sb_start_pagefault) and file_update_time have no effect in the model.
pub async fn daxfs_fault(cx: &Cx<'_>, vmf: &Vmf<'_>, pe_size: PeSize) -> VmFault {
    let _f = cx.enter(Func::DaxfsFault);
    cx.down_read(&cx.k.inode.mmap_sem).await;
    let result = match cx.k.era() {
        Era::RadixTree => crate::dax::dax_iomap_fault(cx, vmf, pe_size).await,
        Era::XArray => crate::dax_xa::dax_iomap_fault(cx, vmf, pe_size).await,
    };
    cx.up_read(&cx.k.inode.mmap_sem).await;
    result
}

/// ext4_dax_read_iter(): i_rwsem shared around dax_iomap_rw(). Returns the bytes read.
pub async fn daxfs_read_iter(cx: &Cx<'_>, pos: u64, iter: &mut IovIter) -> Result<u64, Errno> {
    let _f = cx.enter(Func::DaxfsReadIter);
    let inode = &cx.k.inode;
    cx.syscall_enter(Location::caller(), Syscall::Read, pos, iter.count()).await;
    cx.down_read(&inode.i_rwsem).await;
    let ret = dax_iomap_rw(cx, pos, iter).await;
    cx.up_read(&inode.i_rwsem).await;
    cx.syscall_exit(Location::caller(), Syscall::Read, ret)
}

/// ext4_dax_write_iter() / xfs_file_dax_write(): i_rwsem exclusive around dax_iomap_rw();
/// a write past EOF moves i_size. No fault lock is taken: a write races freely with page
/// faults on the same range.
pub async fn daxfs_write_iter(cx: &Cx<'_>, pos: u64, iter: &mut IovIter) -> Result<u64, Errno> {
    let _f = cx.enter(Func::DaxfsWriteIter);
    let inode = &cx.k.inode;
    cx.syscall_enter(Location::caller(), Syscall::Write, pos, iter.count()).await;
    cx.down_write(&inode.i_rwsem).await;
    let ret = dax_iomap_rw(cx, pos, iter).await;
    if let Ok(n) = ret
        && pos + n > inode.i_size()
    {
        i_size_write(cx, pos + n).await;
    }
    cx.up_write(&inode.i_rwsem).await;
    cx.syscall_exit(Location::caller(), Syscall::Write, ret)
}

/// ext4_sync_file() for DAX: filemap_write_and_wait_range() over the whole file, which for
/// a DAX mapping with exceptional entries is dax_writeback_mapping_range(WB_SYNC_ALL)
/// (->writepages). No inode lock: fsync runs concurrently with faults and writes.
pub async fn daxfs_fsync(cx: &Cx<'_>) -> Result<u64, Errno> {
    let _f = cx.enter(Func::DaxfsFsync);
    let at = Location::caller();
    let mapping = &cx.k.mapping;
    cx.syscall_enter(at, Syscall::Fsync, 0, i64::MAX as u64).await;
    let before = cx.stores_before_sync();
    let wbc = WritebackControl { sync_all: true, range_start: 0, range_end: i64::MAX as u64 };
    cx.sched(at).await;
    let ret = if mapping_needs_writeback(cx) {
        match cx.k.era() {
            Era::RadixTree => crate::dax::dax_writeback_mapping_range(cx, mapping, wbc).await.map(|()| 0),
            Era::XArray => crate::dax_xa::dax_writeback_mapping_range(cx, mapping, wbc).await.map(|()| 0),
        }
    } else {
        Ok(0)
    };
    if ret.is_ok() {
        cx.check_durable(&before, |offset| {
            let dev = cx.k.inode.device_offset(offset)?;
            let mut b = [0u8; 8];
            cx.k.pmem.read_media(dev, &mut b);
            Some(u64::from_le_bytes(b))
        });
    }
    cx.syscall_exit(at, Syscall::Fsync, ret)
}

/// mapping_needs_writeback() for a DAX file: it has entries, by the counter that counts
/// them (`nrexceptional`, or `nrpages` from 7f0e07fb0289 in v5.13).
fn mapping_needs_writeback(cx: &Cx<'_>) -> bool {
    let mapping = &cx.k.mapping;
    if cx.k.has(Fix::DaxNrpages) { mapping.nrpages() != 0 } else { mapping.nrexceptional() != 0 }
}

/// i_size_write(): the new size is visible to the next fault's EOF check.
pub(crate) async fn i_size_write(cx: &Cx<'_>, new: u64) {
    let at = Location::caller();
    cx.sched(at).await;
    let old = cx.k.inode.set_i_size(new);
    cx.emit(at, || EventKind::Isize { old, new });
}
