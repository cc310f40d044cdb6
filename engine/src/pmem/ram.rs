//! Emulated pmem in ordinary memory, allocated sparsely: only blocks ever written exist, so
//! a 256 MiB file costs what its touched pages cost.

use super::Pmem;
use crate::kernel::Shared;
use std::collections::HashMap;

const BLOCK: u64 = 4096;

#[derive(Debug)]
pub struct RamPmem {
    size: u64,
    blocks: Shared<HashMap<u64, Box<[u8; BLOCK as usize]>>>,
}

impl RamPmem {
    pub fn new(size: u64) -> Self {
        RamPmem { size, blocks: Shared::new(HashMap::new()) }
    }

    fn for_each_chunk(offset: u64, len: u64, mut f: impl FnMut(u64, usize, usize, usize)) {
        let mut done = 0u64;
        while done < len {
            let pos = offset + done;
            let blk = pos / BLOCK;
            let within = (pos % BLOCK) as usize;
            let n = ((BLOCK - pos % BLOCK).min(len - done)) as usize;
            f(blk, within, n, done as usize);
            done += n as u64;
        }
    }
}

impl Pmem for RamPmem {
    fn size(&self) -> u64 {
        self.size
    }

    fn read(&self, offset: u64, buf: &mut [u8]) {
        self.blocks.with(|b| {
            Self::for_each_chunk(offset, buf.len() as u64, |blk, within, n, at| match b.get(&blk) {
                Some(data) => buf[at..at + n].copy_from_slice(&data[within..within + n]),
                None => buf[at..at + n].fill(0),
            })
        })
    }

    fn write(&self, offset: u64, data: &[u8]) {
        self.blocks.with(|b| {
            Self::for_each_chunk(offset, data.len() as u64, |blk, within, n, at| {
                let block = b.entry(blk).or_insert_with(|| Box::new([0; BLOCK as usize]));
                block[within..within + n].copy_from_slice(&data[at..at + n]);
            })
        })
    }

    fn zero(&self, offset: u64, len: u64) {
        self.blocks.with(|b| {
            Self::for_each_chunk(offset, len, |blk, within, n, _| {
                if within == 0 && n as u64 == BLOCK {
                    b.remove(&blk);
                } else if let Some(block) = b.get_mut(&blk) {
                    block[within..within + n].fill(0);
                }
            })
        })
    }

    fn flush(&self, _offset: u64, _len: u64) {}
}
