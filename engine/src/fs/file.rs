//! The filesystem's ->fault and ->huge_fault for a DAX file.

use crate::dax::dax_iomap_fault;
use crate::mm::{PeSize, VmFault, Vmf};
use crate::sim::Cx;
use crate::trace::Func;

/// ext4_dax_huge_fault() in shape: take the fault lock shared (so truncate and punch hole
/// cannot run underneath) and call dax_iomap_fault(). Freeze protection
/// (sb_start_pagefault) and file_update_time have no effect in the model.
pub async fn daxfs_fault(cx: &Cx<'_>, vmf: &Vmf<'_>, pe_size: PeSize) -> VmFault {
    let _f = cx.enter(Func::DaxfsFault);
    cx.down_read(&cx.k.inode.mmap_sem).await;
    let result = dax_iomap_fault(cx, vmf, pe_size).await;
    cx.up_read(&cx.k.inode.mmap_sem).await;
    result
}
