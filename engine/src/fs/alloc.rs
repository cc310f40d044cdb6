//! Block allocation on the pmem device.

use crate::kernel::Errno;
use serde::{Deserialize, Serialize};

/// Where new extents land. `Aligned` hands a 2 MiB request at a 2 MiB file offset a
/// 2 MiB-aligned physical extent (what generic/413's mkfs geometry forces, and what makes a
/// DAX PMD mapping possible); `Unaligned` offsets every such extent by one block, so every
/// PMD fault falls back at the pfn alignment check.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllocPolicy {
    #[default]
    Aligned,
    Unaligned,
}

const PMD_BLOCKS: u64 = 512;

#[derive(Clone, Debug)]
pub struct Allocator {
    policy: AllocPolicy,
    next: u64,
    capacity: u64,
}

impl Allocator {
    /// Block 0 holds the (unmodelled) filesystem metadata; data starts after it.
    pub fn new(policy: AllocPolicy, capacity_blocks: u64) -> Self {
        Allocator { policy, next: 1, capacity: capacity_blocks }
    }

    pub fn policy(&self) -> AllocPolicy {
        self.policy
    }

    /// Allocates `len` contiguous blocks for file block `fblk`; returns the first.
    pub fn alloc(&mut self, fblk: u64, len: u64) -> Result<u64, Errno> {
        let pmd_sized = len == PMD_BLOCKS && fblk.is_multiple_of(PMD_BLOCKS);
        let start = if pmd_sized {
            let aligned = self.next.div_ceil(PMD_BLOCKS) * PMD_BLOCKS;
            match self.policy {
                AllocPolicy::Aligned => aligned,
                AllocPolicy::Unaligned => aligned + 1,
            }
        } else {
            self.next
        };
        if start + len > self.capacity {
            return Err(Errno::Enospc);
        }
        self.next = start + len;
        Ok(start)
    }
}
