//! Persistent-memory backends. The DAX code only needs byte access at device offsets and
//! a way to write CPU caches back; which memory stands behind it is the backend's business:
//! sparse RAM (the default, which also models what a power failure would keep), a shared
//! mapping of a file on any filesystem, or real pmem (a file on a -o dax filesystem, or a
//! device-DAX device) mapped with MAP_SYNC.

mod declared;
#[cfg(not(target_arch = "wasm32"))]
mod file;
#[cfg(not(target_arch = "wasm32"))]
mod flush;
#[cfg(not(target_arch = "wasm32"))]
mod open;
mod ram;

pub use declared::Declared;
#[cfg(not(target_arch = "wasm32"))]
pub use file::{FilePmem, Reopened, SyncMode};
#[cfg(not(target_arch = "wasm32"))]
pub use flush::{CACHE_LINE, CacheFlush};
#[cfg(not(target_arch = "wasm32"))]
pub use open::{PmemBackend, PmemError};
pub use ram::RamPmem;
use std::sync::Arc;

/// Physical address where the emulated pmem device starts (2 MiB aligned, like a real
/// namespace). pfn = (PMEM_PHYS_BASE + device offset) >> 12.
pub const PMEM_PHYS_BASE: u64 = 0x1_0000_0000;

pub fn pfn_of_sector(sector: u64) -> u64 {
    (PMEM_PHYS_BASE + (sector << 9)) >> 12
}

pub fn is_pmem_pfn(pfn: u64) -> bool {
    pfn >= PMEM_PHYS_BASE >> 12
}

/// Device offset of a physical address inside pmem.
pub fn pmem_offset(phys: u64) -> u64 {
    phys - PMEM_PHYS_BASE
}

pub trait Pmem: Send + Sync + std::fmt::Debug {
    fn size(&self) -> u64;
    fn read(&self, offset: u64, buf: &mut [u8]);
    /// A CPU store: it sits in the cache until [`Pmem::flush`] writes the line back.
    fn write(&self, offset: u64, data: &[u8]);
    /// A write that is durable when it returns (non-temporal stores, as
    /// copy_from_iter_pmem does for write(2)).
    fn write_nocache(&self, offset: u64, data: &[u8]) {
        self.write(offset, data);
        self.flush(offset, data.len() as u64);
    }
    fn zero(&self, offset: u64, len: u64);
    /// Writes the cache lines of [offset, offset+len) back to the persistence domain.
    fn flush(&self, offset: u64, len: u64);
    /// What a power failure now would leave at [offset, offset+len): the contents as of
    /// the last flush of each cache line. A backend that cannot tell reads the cache.
    fn read_media(&self, offset: u64, buf: &mut [u8]) {
        self.read(offset, buf)
    }

    fn read_u64(&self, offset: u64) -> u64 {
        let mut b = [0u8; 8];
        self.read(offset, &mut b);
        u64::from_le_bytes(b)
    }
    fn write_u64(&self, offset: u64, v: u64) {
        self.write(offset, &v.to_le_bytes());
    }
}

/// One backend shared by the machines of a run, each built over it in turn.
impl<P: Pmem + ?Sized> Pmem for Arc<P> {
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn read(&self, offset: u64, buf: &mut [u8]) {
        (**self).read(offset, buf)
    }
    fn write(&self, offset: u64, data: &[u8]) {
        (**self).write(offset, data)
    }
    fn write_nocache(&self, offset: u64, data: &[u8]) {
        (**self).write_nocache(offset, data)
    }
    fn zero(&self, offset: u64, len: u64) {
        (**self).zero(offset, len)
    }
    fn flush(&self, offset: u64, len: u64) {
        (**self).flush(offset, len)
    }
    fn read_media(&self, offset: u64, buf: &mut [u8]) {
        (**self).read_media(offset, buf)
    }
}
