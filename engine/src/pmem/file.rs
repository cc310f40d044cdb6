//! Persistent memory behind a shared mapping: a file on any filesystem (daxlab's emulated
//! pmem), a file on a filesystem mounted with -o dax, or a device-DAX character device.
//!
//! The region is mapped MAP_SHARED_VALIDATE | MAP_SYNC first: on real DAX that makes a
//! store durable once its cache line is written back, with no msync. A filesystem without
//! DAX refuses MAP_SYNC (EOPNOTSUPP); the region is then mapped plainly MAP_SHARED, and a
//! flush also msyncs the range, which is what makes the data reach the file there.

use super::{CacheFlush, Pmem};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// How stores reach the persistence domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncMode {
    /// MAP_SYNC: cache-line write-back is enough.
    MapSync,
    /// MAP_SYNC was refused with this error; write-back plus msync.
    Msync { refused: String },
}

/// One shared mapping of a file or device.
#[derive(Debug)]
pub struct FilePmem {
    path: PathBuf,
    ptr: *mut u8,
    len: usize,
    sync: SyncMode,
    flush: CacheFlush,
    /// A device-DAX character device (it has no read(2); reopening maps it again).
    device: bool,
    /// Remove the file when done (daxlab created it in a directory it was given).
    remove_on_drop: bool,
}

// SAFETY: the mapping is plain shared memory, valid until Drop. Concurrent accessors are
// serialised by the model (every access happens inside one step of one thread); even
// without that, racing byte copies to shared memory cannot break memory safety here, as
// no Rust reference into the mapping is ever handed out.
unsafe impl Send for FilePmem {}
// SAFETY: see Send.
unsafe impl Sync for FilePmem {}

impl FilePmem {
    /// Maps the first `len` bytes of `file` (already at least that long).
    pub fn map(file: &File, path: &Path, len: u64, device: bool, remove_on_drop: bool) -> io::Result<FilePmem> {
        let len = usize::try_from(len).map_err(|_| io::Error::other("the region does not fit in memory"))?;
        let (ptr, sync) = map_shared(file, len)?;
        Ok(FilePmem { path: path.to_path_buf(), ptr, len, sync, flush: CacheFlush::detect(), device, remove_on_drop })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn sync_mode(&self) -> &SyncMode {
        &self.sync
    }

    pub fn cache_flush(&self) -> CacheFlush {
        self.flush
    }

    /// Opens the file again, as a later process would, to read what it holds.
    pub fn reopen(&self) -> io::Result<Reopened> {
        let file = File::open(&self.path)?;
        if !self.device {
            return Ok(Reopened::File(file));
        }
        let (ptr, _) = map_shared(&file, self.len)?;
        Ok(Reopened::Mapped { ptr, len: self.len })
    }

    fn range(&self, offset: u64, len: usize) -> *mut u8 {
        let end = offset.checked_add(len as u64);
        assert!(
            end.is_some_and(|e| e <= self.len as u64),
            "pmem access [{offset:#x}, +{len:#x}) beyond the {:#x}-byte region of {}",
            self.len,
            self.path.display()
        );
        // SAFETY: checked just above to lie inside the mapping.
        unsafe { self.ptr.add(offset as usize) }
    }

    fn msync(&self, offset: u64, len: u64) {
        let page = 4096;
        let start = offset & !(page - 1);
        let end = (offset + len).div_ceil(page) * page;
        let end = end.min(self.len as u64);
        // SAFETY: the page-aligned range lies inside the mapping.
        let r = unsafe { libc::msync(self.ptr.add(start as usize).cast(), (end - start) as usize, libc::MS_SYNC) };
        // msync on a valid, mapped, aligned range only fails for I/O errors of the file
        // system, which nothing in the model could handle better than by stopping.
        assert!(r == 0, "msync of {}: {}", self.path.display(), io::Error::last_os_error());
    }
}

/// A second look at the file: read(2) for a file, a fresh mapping for a device.
#[derive(Debug)]
pub enum Reopened {
    File(File),
    Mapped { ptr: *mut u8, len: usize },
}

impl Reopened {
    pub fn read_u64(&self, offset: u64) -> io::Result<u64> {
        let mut b = [0u8; 8];
        match self {
            Reopened::File(f) => f.read_exact_at(&mut b, offset)?,
            Reopened::Mapped { ptr, len } => {
                if offset + 8 > *len as u64 {
                    return Err(io::Error::other(format!("offset {offset:#x} is beyond the device")));
                }
                // SAFETY: inside the mapping, checked above.
                unsafe { std::ptr::copy_nonoverlapping(ptr.add(offset as usize), b.as_mut_ptr(), 8) };
            }
        }
        Ok(u64::from_le_bytes(b))
    }
}

impl Drop for Reopened {
    fn drop(&mut self) {
        if let Reopened::Mapped { ptr, len } = *self {
            // SAFETY: unmapping the mapping made in reopen(); nothing refers to it any more.
            unsafe { libc::munmap(ptr.cast(), len) };
        }
    }
}

/// mmap(MAP_SHARED_VALIDATE | MAP_SYNC), and plain MAP_SHARED where MAP_SYNC is refused.
fn map_shared(file: &File, len: usize) -> io::Result<(*mut u8, SyncMode)> {
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    let fd = file.as_raw_fd();
    // SAFETY: a fresh mapping at an address the kernel chooses; no memory is aliased.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, libc::MAP_SHARED_VALIDATE | libc::MAP_SYNC, fd, 0) };
    if p != libc::MAP_FAILED {
        return Ok((p.cast(), SyncMode::MapSync));
    }
    let err = io::Error::last_os_error();
    // EOPNOTSUPP: a filesystem or device without DAX. EINVAL: a kernel older than 4.15
    // that does not know MAP_SHARED_VALIDATE.
    if !matches!(err.raw_os_error(), Some(libc::EOPNOTSUPP) | Some(libc::EINVAL)) {
        return Err(err);
    }
    // SAFETY: as above.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, libc::MAP_SHARED, fd, 0) };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok((p.cast(), SyncMode::Msync { refused: err.to_string() }))
}

impl Drop for FilePmem {
    fn drop(&mut self) {
        // SAFETY: the mapping made in map(); nothing refers to it after this.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
        if self.remove_on_drop {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Pmem for FilePmem {
    fn size(&self) -> u64 {
        self.len as u64
    }

    fn read(&self, offset: u64, buf: &mut [u8]) {
        let src = self.range(offset, buf.len());
        // SAFETY: `range` checked the bounds; `buf` is a distinct Rust buffer.
        unsafe { std::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len()) };
    }

    fn write(&self, offset: u64, data: &[u8]) {
        let dst = self.range(offset, data.len());
        // SAFETY: as in read.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len()) };
    }

    fn zero(&self, offset: u64, len: u64) {
        let dst = self.range(offset, len as usize);
        // SAFETY: as in read.
        unsafe { std::ptr::write_bytes(dst, 0, len as usize) };
        // Zeroing comes from the block layer: durable when it returns.
        self.flush(offset, len);
    }

    fn flush(&self, offset: u64, len: u64) {
        let p = self.range(offset, len as usize);
        // SAFETY: the range is inside the mapping.
        unsafe { self.flush.write_back(p, len as usize) };
        if matches!(self.sync, SyncMode::Msync { .. }) {
            self.msync(offset, len);
        }
    }
}
