//! The machine's pmem as steps touch it (see [`crate::footprint`]): every access through
//! it is declared on the cache lines it covers, whatever the backend, then passed on.
//! Lines rather than bytes, because a backend keeps what the media holds per line.

use super::Pmem;
use crate::footprint::{self, Mode, Obj, ObjKind};

const LINE: u64 = 64;

#[derive(Debug)]
pub struct Declared(pub Box<dyn Pmem>);

fn lines(offset: u64, len: u64, mode: Mode) {
    let last = (offset + len.max(1) - 1) / LINE;
    footprint::touch(Obj { kind: ObjKind::Pmem, space: 0, lo: offset / LINE, hi: last }, mode);
}

impl Pmem for Declared {
    fn size(&self) -> u64 {
        self.0.size()
    }
    fn read(&self, offset: u64, buf: &mut [u8]) {
        lines(offset, buf.len() as u64, Mode::Read);
        self.0.read(offset, buf)
    }
    fn write(&self, offset: u64, data: &[u8]) {
        lines(offset, data.len() as u64, Mode::Write);
        self.0.write(offset, data)
    }
    fn write_nocache(&self, offset: u64, data: &[u8]) {
        lines(offset, data.len() as u64, Mode::Write);
        self.0.write_nocache(offset, data)
    }
    fn zero(&self, offset: u64, len: u64) {
        lines(offset, len, Mode::Write);
        self.0.zero(offset, len)
    }
    fn flush(&self, offset: u64, len: u64) {
        lines(offset, len, Mode::Write);
        self.0.flush(offset, len)
    }
    fn read_media(&self, offset: u64, buf: &mut [u8]) {
        lines(offset, buf.len() as u64, Mode::Read);
        self.0.read_media(offset, buf)
    }
}
