//! The filesystem under DAX: one inode with i_size and an extent map, iomap_begin/end with
//! an allocation policy, and the fault handlers that wrap dax_iomap_fault() in the fs's
//! fault lock (modelled on ext4_dax_huge_fault / xfs_filemap_huge_fault).

mod alloc;
mod cx;
mod drop_caches;
mod extent;
mod file;
mod iomap;
mod mapping;
mod truncate;

pub use alloc::{AllocPolicy, Allocator};
pub use drop_caches::drop_pagecache_sb;
pub use extent::{Extent, ExtentMap, ExtentState};
pub use file::{daxfs_fault, daxfs_fsync, daxfs_read_iter, daxfs_write_iter};
pub use iomap::{IOMAP_FAULT, IOMAP_WRITE, IomapDesc, IomapType};
pub use mapping::{AddressSpace, Inode, MAPPING_ADDR};
pub use truncate::{daxfs_fallocate, daxfs_punch_hole, daxfs_truncate};

pub const BLOCK_SHIFT: u32 = 12;
pub const BLOCK_SIZE: u64 = 1 << BLOCK_SHIFT;
