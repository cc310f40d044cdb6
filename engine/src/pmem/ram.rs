//! Emulated pmem in ordinary memory, allocated sparsely: only blocks ever written exist, so
//! a 256 MiB file costs what its touched pages cost.
//!
//! It also keeps what a power failure would leave behind. A CPU store through a DAX mapping
//! lands in the CPU cache: the line is dirty until flushed (wb_cache_pmem), and until then
//! the media still holds the line as it was before the first unflushed store. Writes the
//! kernel makes with non-temporal stores or through the block layer (write(2)'s
//! copy_from_iter_pmem, the filesystem zeroing new blocks) are durable when they return.

use super::Pmem;
use crate::kernel::Shared;
use std::collections::HashMap;

const BLOCK: u64 = 4096;
const LINE: u64 = 64;

#[derive(Debug, Default)]
struct State {
    blocks: HashMap<u64, Box<[u8; BLOCK as usize]>>,
    /// Dirty cache lines → the media's copy of the line (its content at the last flush).
    media: HashMap<u64, [u8; LINE as usize]>,
}

impl State {
    fn read(&self, offset: u64, buf: &mut [u8]) {
        for_each_chunk(offset, buf.len() as u64, BLOCK, |blk, within, n, at| match self.blocks.get(&blk) {
            Some(data) => buf[at..at + n].copy_from_slice(&data[within..within + n]),
            None => buf[at..at + n].fill(0),
        })
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        for_each_chunk(offset, data.len() as u64, BLOCK, |blk, within, n, at| {
            let block = self.blocks.entry(blk).or_insert_with(|| Box::new([0; BLOCK as usize]));
            block[within..within + n].copy_from_slice(&data[at..at + n]);
        })
    }

    /// Lines touched by [offset, offset+len).
    fn lines(offset: u64, len: u64) -> std::ops::Range<u64> {
        if len == 0 {
            return 0..0;
        }
        offset / LINE..(offset + len - 1) / LINE + 1
    }

    fn clean(&mut self, offset: u64, len: u64) {
        let lines = Self::lines(offset, len);
        if (self.media.len() as u64) < lines.end - lines.start {
            self.media.retain(|line, _| !lines.contains(line));
        } else {
            for line in lines {
                self.media.remove(&line);
            }
        }
    }
}

fn for_each_chunk(offset: u64, len: u64, unit: u64, mut f: impl FnMut(u64, usize, usize, usize)) {
    let mut done = 0u64;
    while done < len {
        let pos = offset + done;
        let n = (unit - pos % unit).min(len - done) as usize;
        f(pos / unit, (pos % unit) as usize, n, done as usize);
        done += n as u64;
    }
}

#[derive(Debug)]
pub struct RamPmem {
    size: u64,
    st: Shared<State>,
}

impl RamPmem {
    pub fn new(size: u64) -> Self {
        RamPmem { size, st: Shared::new(State::default()) }
    }
}

impl Pmem for RamPmem {
    fn size(&self) -> u64 {
        self.size
    }

    fn read(&self, offset: u64, buf: &mut [u8]) {
        self.st.with(|s| s.read(offset, buf))
    }

    fn write(&self, offset: u64, data: &[u8]) {
        self.st.with(|s| {
            for line in State::lines(offset, data.len() as u64) {
                if !s.media.contains_key(&line) {
                    let mut old = [0u8; LINE as usize];
                    s.read(line * LINE, &mut old);
                    s.media.insert(line, old);
                }
            }
            s.write(offset, data);
        })
    }

    fn write_nocache(&self, offset: u64, data: &[u8]) {
        self.st.with(|s| {
            s.write(offset, data);
            s.clean(offset, data.len() as u64);
        })
    }

    fn zero(&self, offset: u64, len: u64) {
        self.st.with(|s| {
            for_each_chunk(offset, len, BLOCK, |blk, within, n, _| {
                if within == 0 && n as u64 == BLOCK {
                    s.blocks.remove(&blk);
                } else if let Some(block) = s.blocks.get_mut(&blk) {
                    block[within..within + n].fill(0);
                }
            });
            s.clean(offset, len);
        })
    }

    fn flush(&self, offset: u64, len: u64) {
        self.st.with(|s| s.clean(offset, len))
    }

    fn read_media(&self, offset: u64, buf: &mut [u8]) {
        self.st.with(|s| {
            s.read(offset, buf);
            for line in State::lines(offset, buf.len() as u64) {
                let Some(old) = s.media.get(&line) else { continue };
                let (lo, hi) = ((line * LINE).max(offset), ((line + 1) * LINE).min(offset + buf.len() as u64));
                let src = &old[(lo - line * LINE) as usize..(hi - line * LINE) as usize];
                buf[(lo - offset) as usize..(hi - offset) as usize].copy_from_slice(src);
            }
        })
    }
}
