//! struct inode and struct address_space, as much of them as DAX touches.

use super::iomap::describe;
use super::{Allocator, BLOCK_SHIFT, BLOCK_SIZE, Extent, ExtentMap, ExtentState, IomapDesc};
use crate::footprint::{self, Obj, ObjKind};
use crate::kernel::{Errno, LockId, RwSem, Shared, SpinLock};
use crate::pmem::Pmem;
use crate::radix::{RadixTree, TreeRoot};
use crate::xarray::{XaFixes, XaRoot};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// The emulated `struct address_space *` of the file: its value feeds the wait-table hash,
/// exactly as the kernel hashes the pointer.
pub const MAPPING_ADDR: u64 = 0xffff_8800_7a3c_2e10;

/// The page cache side of the file and its counters. A kernel of the radix-tree era keeps
/// its DAX entries and hole pages in `page_tree` under `tree_lock`; one of the XArray era
/// keeps them in `i_pages` (which carries its own `xa_lock`). Only the era's own is used.
#[derive(Debug)]
pub struct AddressSpace {
    pub addr: u64,
    pub page_tree: TreeRoot,
    pub tree_lock: SpinLock,
    pub i_pages: XaRoot,
    pub nrexceptional: AtomicI64,
    pub nrpages: AtomicI64,
}

impl AddressSpace {
    /// An empty mapping; `xa_fixes` says which lib/xarray.c `i_pages` runs.
    pub fn with_xa_fixes(xa_fixes: XaFixes) -> Self {
        AddressSpace {
            addr: MAPPING_ADDR,
            page_tree: Shared::new(RadixTree::new()),
            tree_lock: SpinLock::new(LockId::TreeLock),
            i_pages: XaRoot::new(xa_fixes),
            nrexceptional: AtomicI64::new(0),
            nrpages: AtomicI64::new(0),
        }
    }

    pub fn new() -> Self {
        Self::with_xa_fixes(XaFixes::ALL)
    }

    /// `&mapping->i_pages` as the XArray era hashes it into the DAX wait table: struct
    /// address_space begins with `host`, then `i_pages`.
    pub fn i_pages_addr(&self) -> u64 {
        self.addr + 8
    }

    pub fn nrexceptional(&self) -> i64 {
        footprint::reads(Obj::at(ObjKind::MappingCounter, 0, 0));
        self.nrexceptional.load(Ordering::Relaxed)
    }
    pub fn nrpages(&self) -> i64 {
        footprint::reads(Obj::at(ObjKind::MappingCounter, 1, 0));
        self.nrpages.load(Ordering::Relaxed)
    }
    pub fn add_nrexceptional(&self, d: i64) {
        footprint::adds(Obj::at(ObjKind::MappingCounter, 0, 0));
        self.nrexceptional.fetch_add(d, Ordering::Relaxed);
    }
    pub fn add_nrpages(&self, d: i64) {
        footprint::adds(Obj::at(ObjKind::MappingCounter, 1, 0));
        self.nrpages.fetch_add(d, Ordering::Relaxed);
    }
}

impl Default for AddressSpace {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug)]
pub struct Inode {
    pub ino: u64,
    pub i_size: AtomicU64,
    /// Through [`Inode::map_blocks`] and its siblings, which declare what they touch.
    pub extents: Shared<ExtentMap>,
    pub alloc: Shared<Allocator>,
    /// ext4's i_mmap_sem / xfs's MMAPLOCK: faults shared, truncate and punch hole exclusive.
    pub mmap_sem: RwSem,
    pub i_rwsem: RwSem,
}

impl Inode {
    pub fn new(ino: u64, size: u64, alloc: Allocator) -> Self {
        Inode {
            ino,
            i_size: AtomicU64::new(size),
            extents: Shared::new(ExtentMap::default()),
            alloc: Shared::new(alloc),
            mmap_sem: RwSem::new(LockId::MmapSem),
            i_rwsem: RwSem::new(LockId::IRwsem),
        }
    }

    pub fn i_size(&self) -> u64 {
        footprint::reads(Obj::at(ObjKind::ISize, 0, 0));
        self.i_size.load(Ordering::Acquire)
    }

    /// i_size_write(); returns the old size.
    pub fn set_i_size(&self, new: u64) -> u64 {
        footprint::writes(Obj::at(ObjKind::ISize, 0, 0));
        self.i_size.swap(new, Ordering::AcqRel)
    }

    /// Where a file offset lives on pmem, if it is written data (a hole or an unwritten
    /// extent reads as zeroes and has no device offset).
    pub fn device_offset(&self, offset: u64) -> Option<u64> {
        footprint::reads(Obj::at(ObjKind::Extents, 0, offset >> BLOCK_SHIFT));
        match self.extents.with(|e| e.find(offset >> BLOCK_SHIFT)) {
            Some(e) if e.state == ExtentState::Written => {
                let pblk = e.pblk + (offset >> BLOCK_SHIFT) - e.fblk;
                Some((pblk << BLOCK_SHIFT) | (offset & (BLOCK_SIZE - 1)))
            }
            _ => None,
        }
    }

    /// The body of iomap_begin: allocate/convert for writes, then report the extent (or
    /// hole) at `pos`.
    pub fn map_blocks(&self, pmem: &dyn Pmem, pos: u64, length: u64, write: bool) -> Result<IomapDesc, Errno> {
        let fblk = pos >> BLOCK_SHIFT;
        let nblk = length.div_ceil(BLOCK_SIZE);
        let mut ext = self.extents.guard();
        // The reported extent ends where the next one starts: everything from `fblk` on
        // is read. Adjacent extents merge, so a change is a write of the whole map (an
        // error may come after part of the range was allocated).
        footprint::reads(Obj { kind: ObjKind::Extents, space: 0, lo: fblk, hi: u64::MAX });
        let allocated = if write { self.allocate_range(&mut ext, pmem, fblk, nblk) } else { Ok(false) };
        if !matches!(allocated, Ok(false)) {
            footprint::writes(Obj::all(ObjKind::Extents, 0));
            footprint::writes(Obj::all(ObjKind::BlockAlloc, 0));
        }
        let new = allocated?;
        let found = ext.find(fblk);
        let next = ext.next_start(fblk);
        Ok(describe(found, fblk, nblk, next, new))
    }

    /// fallocate(mode 0): allocate unwritten blocks over the holes of [fblk, fblk+nblk);
    /// returns how many blocks were allocated.
    pub fn allocate_unwritten(&self, fblk: u64, nblk: u64) -> Result<u64, Errno> {
        footprint::writes(Obj::all(ObjKind::Extents, 0));
        footprint::writes(Obj::all(ObjKind::BlockAlloc, 0));
        let mut ext = self.extents.guard();
        let (mut b, end, mut allocated) = (fblk, fblk + nblk, 0);
        while b < end {
            match ext.find(b) {
                Some(e) => b = e.end().min(end),
                None => {
                    let to = ext.next_start(b).map_or(end, |n| n.min(end));
                    let pblk = self.alloc.with(|a| a.alloc(b, to - b))?;
                    ext.insert(Extent { fblk: b, len: to - b, pblk, state: ExtentState::Unwritten });
                    allocated += to - b;
                    b = to;
                }
            }
        }
        Ok(allocated)
    }

    fn allocate_range(&self, ext: &mut ExtentMap, pmem: &dyn Pmem, fblk: u64, nblk: u64) -> Result<bool, Errno> {
        let mut new = false;
        let mut b = fblk;
        let end = fblk + nblk;
        while b < end {
            match ext.find(b) {
                Some(e) => {
                    let to = e.end().min(end);
                    if e.state == ExtentState::Unwritten {
                        let pblk = e.pblk + (b - e.fblk);
                        pmem.zero(pblk << BLOCK_SHIFT, (to - b) << BLOCK_SHIFT);
                        ext.mark_written(b, to - b);
                        new = true;
                    }
                    b = to;
                }
                None => {
                    let to = ext.next_start(b).map_or(end, |n| n.min(end));
                    let pblk = self.alloc.with(|a| a.alloc(b, to - b))?;
                    pmem.zero(pblk << BLOCK_SHIFT, (to - b) << BLOCK_SHIFT);
                    ext.insert(Extent { fblk: b, len: to - b, pblk, state: ExtentState::Written });
                    new = true;
                    b = to;
                }
            }
        }
        Ok(new)
    }
}
