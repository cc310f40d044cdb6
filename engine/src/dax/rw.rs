//! read(2) and write(2) on a DAX file: dax_iomap_rw() → iomap_apply() → dax_iomap_actor().
//! No DAX entry lock is taken: the data is copied straight between the user buffer and
//! pmem. The caller holds i_rwsem (exclusive for a write), which orders I/O against
//! truncate but not against page faults.

use crate::check::Invariant;
use crate::fs::{IOMAP_WRITE, IomapDesc, IomapType};
use crate::kernel::Errno;
use crate::mm::{PAGE_SHIFT, invalidate_inode_pages2_range};
use crate::sim::Cx;
use crate::trace::EventKind;
use crate::trace::Func;
use std::panic::Location;

/// `struct iov_iter` over one user buffer: what a write copies from, or a read fills.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IovIter {
    pub write: bool,
    pub buf: Vec<u8>,
    /// Bytes of `buf` consumed so far.
    pub done: usize,
}

impl IovIter {
    pub fn read(len: usize) -> Self {
        IovIter { write: false, buf: vec![0; len], done: 0 }
    }
    pub fn write(data: &[u8]) -> Self {
        IovIter { write: true, buf: data.to_vec(), done: 0 }
    }
    /// iov_iter_count(): bytes left.
    pub fn count(&self) -> u64 {
        (self.buf.len() - self.done) as u64
    }
}

/// dax_iomap_rw(): iomap_apply() over the range until the buffer is used up or an extent
/// yields nothing. Returns the bytes done, or the first error if none were.
pub async fn dax_iomap_rw(cx: &Cx<'_>, pos: u64, iter: &mut IovIter) -> Result<u64, Errno> {
    let _f = cx.enter(Func::DaxIomapRw);
    let flags = if iter.write { IOMAP_WRITE } else { 0 };
    let (mut pos, mut done) = (pos, 0u64);
    let mut ret = Ok(0);
    while iter.count() > 0 {
        ret = iomap_apply(cx, pos, iter.count(), flags, iter).await;
        match ret {
            Ok(n) if n > 0 => {
                pos += n;
                done += n;
            }
            _ => break,
        }
    }
    if done > 0 { Ok(done) } else { ret }
}

/// iomap_apply() (fs/iomap.c): map the range, cut it to the extent found, run the actor,
/// tell the filesystem how much was used.
async fn iomap_apply(cx: &Cx<'_>, pos: u64, length: u64, flags: u32, iter: &mut IovIter) -> Result<u64, Errno> {
    let _f = cx.enter(Func::IomapApply);
    let iomap = cx.iomap_begin(pos, length, flags).await?;
    let length = length.min(iomap.offset + iomap.length - pos);
    let written = dax_iomap_actor(cx, pos, length, iter, &iomap).await;
    cx.iomap_end(pos, length, *written.as_ref().unwrap_or(&0));
    written
}

/// dax_iomap_actor(): reads of holes and unwritten extents return zeros; everything else
/// must be a mapped extent, copied to or from pmem.
///
/// A write that allocated blocks (IOMAP_F_NEW) may have hole pages of that range mapped in
/// page tables: they are invalidated — but only when nrpages != 0. A huge zero page entry
/// is exceptional, not a page, so with no hole page anywhere in the file it stays mapped
/// and the mapping keeps reading zeros over the new data ("dax/mm: fix data corruption due
/// to stale mmap reads", 4.12). And when the invalidation does run, it deletes clean DAX
/// entries without unmapping them.
async fn dax_iomap_actor(
    cx: &Cx<'_>,
    pos: u64,
    length: u64,
    iter: &mut IovIter,
    iomap: &IomapDesc,
) -> Result<u64, Errno> {
    let _f = cx.enter(Func::DaxIomapActor);
    let at = Location::caller();
    let mapping = &cx.k.mapping;
    let mut end = pos + length;
    if !iter.write {
        end = end.min(cx.k.inode.i_size());
        if pos >= end {
            return Ok(0);
        }
        if matches!(iomap.kind, IomapType::Hole | IomapType::Unwritten) {
            // iov_iter_zero()
            let n = length.min(end - pos);
            iter.buf[iter.done..iter.done + n as usize].fill(0);
            iter.done += n as usize;
            cx.emit(at, || EventKind::IoZero { pos, len: n });
            return Ok(n);
        }
    }
    if iomap.kind != IomapType::Mapped {
        cx.warn(at, Invariant::Warn { what: "dax_iomap_actor on an extent that is not mapped".into() });
        return Err(Errno::Eio);
    }
    cx.sched(at).await;
    // The XArray era (which has no hole pages) invalidates whenever the write allocated.
    if iomap.new && (cx.k.era() == crate::release::Era::XArray || mapping.nrpages() != 0) {
        // Its result is ignored, as in the kernel.
        let _ = invalidate_inode_pages2_range(cx, mapping, pos >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT).await;
    }
    let mut done = 0;
    let mut pos = pos;
    while pos < end {
        // dax_map_atomic() maps the rest of the extent; copy, unmap.
        cx.sched(at).await;
        let dev = (iomap.sector(pos) << 9) + (pos & 0xfff);
        let n = end - pos;
        let chunk = iter.done..iter.done + n as usize;
        if iter.write {
            // copy_from_iter_pmem(): non-temporal stores, durable on return.
            cx.k.pmem.write_nocache(dev, &iter.buf[chunk.clone()]);
            cx.record_write(pos, &iter.buf[chunk.clone()]);
        } else {
            cx.k.pmem.read(dev, &mut iter.buf[chunk.clone()]);
        }
        let value = first_word(&iter.buf[chunk]);
        cx.emit(at, || EventKind::IoCopy { pos, len: n, write: iter.write, value });
        iter.done += n as usize;
        pos += n;
        done += n;
    }
    Ok(done)
}

fn first_word(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let n = b.len().min(8);
    w[..n].copy_from_slice(&b[..n]);
    u64::from_le_bytes(w)
}
