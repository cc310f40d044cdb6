//! Choosing a backend from a path (`--pmem PATH`): RAM when none is given; otherwise a
//! directory (daxlab creates its pmem file there), an existing file, or a device-DAX
//! character device.

use super::{FilePmem, Pmem, RamPmem, SyncMode};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum PmemError {
    #[error(
        "--pmem {path}: no such file or directory (give an existing file, a directory to create the pmem file in, or a DAX device such as /dev/dax0.0)"
    )]
    Missing { path: String },
    #[error("--pmem {path}: permission denied: cannot {what} (run as a user who may, or choose another path)")]
    Permission { path: String, what: &'static str },
    #[error(
        "--pmem {path}: the device holds {have} bytes, but this run needs {need} bytes (use a larger device or smaller --sizes)"
    )]
    TooSmall { path: String, have: u64, need: u64 },
    #[error("--pmem {path}: {what}")]
    Unsupported { path: String, what: String },
    #[error("--pmem {path}: cannot {what}: {source}")]
    Io { path: String, what: &'static str, source: io::Error },
}

impl PmemError {
    fn io(path: &Path, what: &'static str, source: io::Error) -> PmemError {
        let path = path.display().to_string();
        match source.kind() {
            io::ErrorKind::PermissionDenied => PmemError::Permission { path, what },
            io::ErrorKind::NotFound => PmemError::Missing { path },
            _ => PmemError::Io { path, what, source },
        }
    }
}

/// Where a run's persistent memory lives.
#[derive(Debug)]
pub enum PmemBackend {
    /// Sparse emulated pmem in RAM, fresh for every machine (models durability too).
    Ram,
    /// One mapping shared by every machine of the run, one after the other.
    File(Arc<FilePmem>),
}

impl PmemBackend {
    /// Opens `path` (None = RAM) with room for `need` bytes.
    pub fn open(path: Option<&Path>, need: u64) -> Result<PmemBackend, PmemError> {
        match path {
            None => Ok(PmemBackend::Ram),
            Some(p) => open_path(p, need).map(|f| PmemBackend::File(Arc::new(f))),
        }
    }

    /// The memory for one machine of `capacity` bytes.
    pub fn region(&self, capacity: u64) -> Box<dyn Pmem> {
        match self {
            PmemBackend::Ram => Box::new(RamPmem::new(capacity)),
            PmemBackend::File(f) => Box::new(Arc::clone(f)),
        }
    }

    pub fn file(&self) -> Option<&FilePmem> {
        match self {
            PmemBackend::Ram => None,
            PmemBackend::File(f) => Some(f),
        }
    }

    /// One line for summaries and trace headers.
    pub fn describe(&self) -> String {
        match self {
            PmemBackend::Ram => "ram".into(),
            PmemBackend::File(f) => {
                let how = match f.sync_mode() {
                    SyncMode::MapSync => "MAP_SYNC".to_string(),
                    SyncMode::Msync { .. } => "MAP_SHARED + msync".to_string(),
                };
                format!("{} ({how}, {} + sfence)", f.path().display(), f.cache_flush())
            }
        }
    }

    /// What a user should be told once: MAP_SYNC was refused and how daxlab carries on.
    pub fn notice(&self) -> Option<String> {
        let f = self.file()?;
        match f.sync_mode() {
            SyncMode::MapSync => None,
            SyncMode::Msync { refused } => Some(format!(
                "{}: MAP_SYNC refused ({refused}): not a DAX filesystem; using a plain shared mapping, flushed with {} + sfence + msync",
                f.path().display(),
                f.cache_flush()
            )),
        }
    }
}

fn open_path(path: &Path, need: u64) -> Result<FilePmem, PmemError> {
    let meta = std::fs::metadata(path).map_err(|e| PmemError::io(path, "look at it", e))?;
    let ft = meta.file_type();
    if ft.is_dir() {
        let file_path = path.join(format!("daxlab-pmem-{}.img", std::process::id()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&file_path)
            .map_err(|e| PmemError::io(path, "create a file in this directory", e))?;
        file.set_len(need).map_err(|e| PmemError::io(&file_path, "size the pmem file", e))?;
        return FilePmem::map(&file, &file_path, need, false, true).map_err(|e| map_error(&file_path, e));
    }
    if ft.is_file() {
        let file = open_rw(path)?;
        if meta.len() < need {
            // A file is emulated pmem: it grows (sparsely) to what the run needs.
            file.set_len(need).map_err(|e| PmemError::io(path, "grow the pmem file", e))?;
        }
        return FilePmem::map(&file, path, need, false, false).map_err(|e| map_error(path, e));
    }
    if ft.is_char_device() {
        let have = dax_device_size(path, meta.rdev())?;
        if have < need {
            return Err(PmemError::TooSmall { path: path.display().to_string(), have, need });
        }
        let file = open_rw(path)?;
        return FilePmem::map(&file, path, need, true, false).map_err(|e| map_error(path, e));
    }
    let what = if ft.is_block_device() {
        "a block device cannot be mapped as DAX memory: make a filesystem on it, mount it with -o dax, and give a file or directory there".to_string()
    } else {
        "not a file, a directory or a DAX character device".to_string()
    };
    Err(PmemError::Unsupported { path: path.display().to_string(), what })
}

fn open_rw(path: &Path) -> Result<File, PmemError> {
    OpenOptions::new().read(true).write(true).open(path).map_err(|e| PmemError::io(path, "open it read-write", e))
}

fn map_error(path: &Path, e: io::Error) -> PmemError {
    PmemError::io(path, "map it shared", e)
}

/// A device-DAX namespace reports its size in sysfs (the device file itself has none).
fn dax_device_size(path: &Path, rdev: u64) -> Result<u64, PmemError> {
    let (major, minor) = (libc::major(rdev), libc::minor(rdev));
    let sysfs = PathBuf::from(format!("/sys/dev/char/{major}:{minor}/size"));
    let text = std::fs::read_to_string(&sysfs).map_err(|_| PmemError::Unsupported {
        path: path.display().to_string(),
        what: format!("a character device that is not device-DAX ({} has no size)", sysfs.display()),
    })?;
    text.trim().parse().map_err(|_| PmemError::Unsupported {
        path: path.display().to_string(),
        what: format!("{} does not hold a size: {:?}", sysfs.display(), text.trim()),
    })
}
