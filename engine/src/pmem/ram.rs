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
use std::collections::{BTreeMap, HashMap};

const BLOCK: u64 = 4096;
const LINE: u64 = 64;

#[derive(Debug, Default)]
struct State {
    blocks: HashMap<u64, Box<[u8; BLOCK as usize]>>,
    /// Dirty cache lines → the media's copy of the line (its content at the last flush).
    /// Ordered, so that cleaning a range costs what is dirty in it, not what is dirty.
    media: BTreeMap<u64, [u8; LINE as usize]>,
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
        let dirty: Vec<u64> = self.media.range(Self::lines(offset, len)).map(|(line, _)| *line).collect();
        for line in dirty {
            self.media.remove(&line);
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
            // Zeroing a new 2 MiB extent covers 512 blocks, usually none of them written:
            // dropping whole blocks costs what exists, not what the range spans.
            let whole = offset.div_ceil(BLOCK)..(offset + len) / BLOCK;
            if whole.end.saturating_sub(whole.start) > s.blocks.len() as u64 {
                s.blocks.retain(|blk, _| !whole.contains(blk));
            } else {
                whole.clone().for_each(|blk| drop(s.blocks.remove(&blk)));
            }
            // The partial blocks at either end, if any.
            let (head, tail) = ((whole.start * BLOCK).min(offset + len), (whole.end * BLOCK).max(offset));
            for (from, to) in [(offset, head), (tail.max(head), offset + len)] {
                for_each_chunk(from, to - from, BLOCK, |blk, within, n, _| {
                    if let Some(block) = s.blocks.get_mut(&blk) {
                        block[within..within + n].fill(0);
                    }
                });
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Zeroing drops whole blocks and clears partial ones, whichever way it walks.
    #[test]
    fn zero_clears_exactly_the_range() {
        for (offset, len) in [(0, 3 * BLOCK), (100, 50), (100, 3 * BLOCK), (BLOCK - 8, 16), (5 * BLOCK + 7, 0)] {
            let p = RamPmem::new(16 * BLOCK);
            let ones = vec![1u8; 16 * BLOCK as usize];
            // Few blocks written: the walk goes block by block; many: it scans the map.
            for written in [&ones[..(BLOCK * 2) as usize], &ones[..]] {
                p.write(0, written);
                p.zero(offset, len);
                let mut got = vec![0u8; written.len()];
                p.read(0, &mut got);
                for (i, b) in got.iter().enumerate() {
                    let zeroed = (offset..offset + len).contains(&(i as u64));
                    assert_eq!(*b, u8::from(!zeroed), "offset {offset} len {len}, byte {i}");
                }
            }
        }
    }
}
