//! iomap_begin / iomap_end: how DAX asks the filesystem where a file range lives, and
//! (for writes) makes it allocate.

use super::{BLOCK_SHIFT, Extent, ExtentState};
use serde::{Deserialize, Serialize};

pub const IOMAP_WRITE: u32 = 1 << 0;
pub const IOMAP_FAULT: u32 = 1 << 3;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IomapType {
    Hole,
    Mapped,
    Unwritten,
}

/// `struct iomap` as DAX uses it: byte offset and length of the extent found, its first
/// sector on the device, and whether its blocks were allocated by this call (IOMAP_F_NEW).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IomapDesc {
    #[serde(rename = "type")]
    pub kind: IomapType,
    pub offset: u64,
    pub length: u64,
    pub blkno: u64,
    pub new: bool,
}

impl IomapDesc {
    /// dax_iomap_sector(): the 512-byte sector backing the page at `pos`.
    pub fn sector(&self, pos: u64) -> u64 {
        self.blkno + (((pos & !0xfff) - self.offset) >> 9)
    }
}

pub(super) fn describe(e: Option<Extent>, fblk: u64, nblk: u64, next: Option<u64>, new: bool) -> IomapDesc {
    match e {
        Some(e) => IomapDesc {
            kind: match e.state {
                ExtentState::Written => IomapType::Mapped,
                ExtentState::Unwritten => IomapType::Unwritten,
            },
            offset: e.fblk << BLOCK_SHIFT,
            length: e.len << BLOCK_SHIFT,
            blkno: e.pblk << (BLOCK_SHIFT - 9),
            new,
        },
        None => {
            let end = next.map_or(fblk + nblk, |n| n.min(fblk + nblk));
            IomapDesc {
                kind: IomapType::Hole,
                offset: fblk << BLOCK_SHIFT,
                length: (end - fblk) << BLOCK_SHIFT,
                blkno: 0,
                new: false,
            }
        }
    }
}
