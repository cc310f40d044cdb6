//! The user-space side of a thread: run its operations in order.

use super::Op;
use crate::dax::IovIter;
use crate::fs::{
    daxfs_fallocate, daxfs_fault, daxfs_fsync, daxfs_punch_hole, daxfs_read_iter, daxfs_truncate, daxfs_write_iter,
    drop_pagecache_sb,
};
use crate::mm::{Access, Mm, PeSize, VmFault, Vmf, handle_pte_fault, user_access};
use crate::sim::{Cx, ThreadEnd};

/// Runs `ops` in `mm`. An explicit `fault` op enters the 4 KiB path at handle_pte_fault()
/// (guard included) or calls ->huge_fault for a PMD; it is not retried. System calls return
/// their result to the program, which goes on whatever it is (the SyscallExit events record
/// it). A setup thread (`unmap_at_exit`) also tears its mapping down at the end, as munmap
/// and exit would.
pub async fn run_thread(cx: &Cx<'_>, mm: &Mm, ops: &[Op], unmap_at_exit: bool) -> ThreadEnd {
    let vma = &mm.vmas[0];
    let addr_of = |offset: u64| {
        vma.address_of(offset >> 12).map(|a| a + (offset & 0xfff)).expect("validated: inside the mapping")
    };
    for op in ops {
        let r = match *op {
            Op::Store { at, value } => user_access(cx, mm, addr_of(at.0), Access::Store(value.0)).await.map(drop),
            Op::Load { at } => user_access(cx, mm, addr_of(at.0), Access::Load).await.map(drop),
            Op::Sweep { at, pages, value } => {
                sweep(cx, mm, (0..pages.0).map(|k| addr_of(at.0 + (k << 12))), value.0).await
            }
            Op::Fault { page, size, write } => {
                let addr = addr_of(page.0 << 12);
                let vmf = Vmf::new(mm, vma, addr, write);
                let ret = match size {
                    PeSize::Pte => handle_pte_fault(cx, &vmf).await,
                    PeSize::Pmd => daxfs_fault(cx, &vmf, PeSize::Pmd).await,
                };
                if ret.intersects(VmFault::OOM) {
                    Err(ThreadEnd::Oom { addr })
                } else if ret.intersects(VmFault::SIGBUS) {
                    Err(ThreadEnd::Sigbus { addr })
                } else {
                    Ok(())
                }
            }
            Op::Read { at } => syscall(daxfs_read_iter(cx, at.0, &mut IovIter::read(8)).await),
            Op::Write { at, value } => {
                syscall(daxfs_write_iter(cx, at.0, &mut IovIter::write(&value.0.to_le_bytes())).await)
            }
            Op::Fsync => syscall(daxfs_fsync(cx).await),
            Op::Truncate { size } => syscall(daxfs_truncate(cx, size.0).await),
            Op::PunchHole { offset, length } => syscall(daxfs_punch_hole(cx, offset.0, length.0).await),
            Op::Fallocate { offset, length } => syscall(daxfs_fallocate(cx, offset.0, length.0).await),
            Op::DropCaches => syscall(drop_pagecache_sb(cx).await),
        };
        if let Err(end) = r {
            return end;
        }
    }
    if unmap_at_exit {
        cx.exit_mm(mm);
    }
    ThreadEnd::Exited
}

/// Stores `value` at each address in turn, stopping at the first store that kills the thread.
async fn sweep(cx: &Cx<'_>, mm: &Mm, addrs: impl Iterator<Item = u64>, value: u64) -> Result<(), ThreadEnd> {
    for addr in addrs {
        user_access(cx, mm, addr, Access::Store(value)).await?;
    }
    Ok(())
}

/// A system call's error goes back to the program, which carries on.
fn syscall<T, E>(_: Result<T, E>) -> Result<(), ThreadEnd> {
    Ok(())
}
