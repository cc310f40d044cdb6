//! One process of a scenario, for real: a forked child that maps the file, starts one OS
//! thread per scenario thread (named as the scenario names it, so the trace's task column
//! shows it), waits at the starting gate, and runs each thread's operations as real loads,
//! stores and system calls.

use crate::lab::report::SyscallError;
use crate::scenario::{Op, ProcessSpec, Scenario};
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::sync::{Barrier, Mutex};

/// What a child tells its parent through a pipe before it exits.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ChildReport {
    pub address: u64,
    pub syscall_errors: Vec<SyscallError>,
}

/// A forked process of the workload.
#[derive(Debug)]
pub struct Child {
    pub pid: libc::pid_t,
    report: OwnedFd,
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two descriptors, which we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are fresh and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The pipe every process waits on: all start when the parent closes its write end.
#[derive(Debug)]
pub struct Gate {
    read: OwnedFd,
    write: Option<OwnedFd>,
}

impl Gate {
    pub fn new() -> io::Result<Gate> {
        let (read, write) = pipe()?;
        Ok(Gate { read, write: Some(write) })
    }

    pub fn open(&mut self) {
        self.write = None;
    }

    fn wait(&self) {
        let mut b = [0u8; 1];
        // SAFETY: reading into a local buffer from a descriptor we hold.
        while unsafe { libc::read(self.read.as_raw_fd(), b.as_mut_ptr().cast(), 1) } > 0 {}
    }
}

/// What the child needs to know.
pub struct Setup<'a> {
    pub sc: &'a Scenario,
    pub file: &'a Path,
    pub map_sync: bool,
    pub marker_fd: i32,
}

/// Forks a child that runs process `p`; it waits at `gate` when one is given.
pub fn spawn(setup: &Setup<'_>, p: &ProcessSpec, gate: Option<&Gate>) -> io::Result<Child> {
    let (report_read, report_write) = pipe()?;
    // SAFETY: the parent is single-threaded here (threads exist only in children), so the
    // child may allocate and start threads of its own.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            drop(report_read);
            let code = child_main(setup, p, gate, report_write);
            // SAFETY: ending the child without running the parent's exit handlers.
            unsafe { libc::_exit(code) }
        }
        pid => Ok(Child { pid, report: report_read }),
    }
}

impl Child {
    /// Reads the report (empty if the child died first).
    pub fn report(self) -> ChildReport {
        let mut text = String::new();
        let _ = std::fs::File::from(self.report).read_to_string(&mut text);
        serde_json::from_str(&text).unwrap_or_default()
    }
}

fn set_name(name: &str) {
    // The kernel keeps 15 bytes of a task's comm.
    let short: String = name.chars().filter(|c| *c != '\0').take(15).collect();
    if let Ok(c) = CString::new(short) {
        // SAFETY: PR_SET_NAME reads a NUL-terminated string.
        unsafe { libc::prctl(libc::PR_SET_NAME, c.as_ptr()) };
    }
}

fn child_main(setup: &Setup<'_>, p: &ProcessSpec, gate: Option<&Gate>, report: OwnedFd) -> i32 {
    set_name(p.name.get_ref());
    let result = (|| -> io::Result<ChildReport> {
        let file = std::fs::OpenOptions::new().read(true).write(true).open(setup.file)?;
        let mapping = Mapping::new(setup, p, &file)?;
        if let Some(g) = gate {
            g.wait_after_fork();
        }
        let errors = run_threads(setup, p, &file, &mapping);
        Ok(ChildReport { address: mapping.addr as u64, syscall_errors: errors })
    })();
    let (code, rep) = match result {
        Ok(r) => (0, r),
        Err(e) => {
            eprintln!("daxlab-lab: error: process {}: {e}", p.name);
            (3, ChildReport::default())
        }
    };
    let mut out = std::fs::File::from(report);
    let _ = out.write_all(serde_json::to_string(&rep).unwrap_or_default().as_bytes());
    code
}

impl Gate {
    /// In a child: drop our copy of the write end (or the gate never opens for anyone),
    /// then wait.
    fn wait_after_fork(&self) {
        if let Some(w) = &self.write {
            // SAFETY: closing the child's inherited copy of the write end; the OwnedFd in
            // this (copied) struct is never used or dropped afterwards in the child.
            unsafe { libc::close(w.as_raw_fd()) };
        }
        self.wait();
    }
}

/// The process's shared or private mapping of the file.
struct Mapping {
    addr: *mut u8,
    len: usize,
    offset: u64,
}

impl Mapping {
    fn new(setup: &Setup<'_>, p: &ProcessSpec, file: &std::fs::File) -> io::Result<Mapping> {
        let m = p.mapping();
        let len = setup.sc.map_length(p) as usize;
        let shared = if !m.shared {
            libc::MAP_PRIVATE
        } else if setup.map_sync {
            libc::MAP_SHARED_VALIDATE | libc::MAP_SYNC
        } else {
            libc::MAP_SHARED
        };
        let want = setup.sc.map_base(p) as *mut libc::c_void;
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        let off = m.offset.0 as libc::off_t;
        // The scenario's address when it is free, so that PMD alignment is what the
        // scenario says; a hint otherwise.
        // SAFETY: a fresh mapping; MAP_FIXED_NOREPLACE never replaces an existing one.
        let mut addr =
            unsafe { libc::mmap(want, len, prot, shared | libc::MAP_FIXED_NOREPLACE, file.as_raw_fd(), off) };
        if addr == libc::MAP_FAILED {
            // SAFETY: as above, with the address only a hint.
            addr = unsafe { libc::mmap(want, len, prot, shared, file.as_raw_fd(), off) };
        }
        if addr == libc::MAP_FAILED {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(e.kind(), format!("mmap of {len:#x} bytes: {e}")));
        }
        Ok(Mapping { addr: addr.cast(), len, offset: m.offset.0 })
    }

    /// The address of file offset `at` (validated by the scenario to lie inside).
    fn at(&self, at: u64) -> *mut u64 {
        let rel = (at - self.offset) as usize;
        assert!(rel + 8 <= self.len, "validated scenario offsets lie inside the mapping");
        // SAFETY: inside the mapping, checked above.
        unsafe { self.addr.add(rel).cast() }
    }
}

struct Shared<'a> {
    mapping: &'a Mapping,
    file: &'a std::fs::File,
    marker_fd: i32,
    start: Barrier,
    errors: Mutex<Vec<SyscallError>>,
}

// SAFETY: the mapping is plain shared memory that the threads access with volatile and
// atomic operations only; no Rust reference into it exists.
unsafe impl Sync for Mapping {}

fn run_threads(setup: &Setup<'_>, p: &ProcessSpec, file: &std::fs::File, mapping: &Mapping) -> Vec<SyscallError> {
    let shared = Shared {
        mapping,
        file,
        marker_fd: setup.marker_fd,
        start: Barrier::new(p.threads.len()),
        errors: Mutex::new(Vec::new()),
    };
    std::thread::scope(|s| {
        for t in &p.threads {
            let shared = &shared;
            s.spawn(move || {
                set_name(t.name.get_ref());
                shared.start.wait();
                for (i, op) in t.ops.iter().enumerate() {
                    mark(shared.marker_fd, &format!("daxlab op {} {i} {}", t.name, describe(op.get_ref())));
                    if let Err((call, e)) = run_op(shared, op.get_ref()) {
                        let errno = e.raw_os_error().map_or_else(|| e.to_string(), errno_name);
                        let err = SyscallError { thread: t.name.get_ref().clone(), op: i, call: call.into(), errno };
                        shared.errors.lock().unwrap_or_else(|p| p.into_inner()).push(err);
                    }
                }
                mark(shared.marker_fd, &format!("daxlab end {}", t.name));
            });
        }
    });
    shared.errors.into_inner().unwrap_or_else(|p| p.into_inner())
}

fn mark(fd: i32, text: &str) {
    if fd >= 0 {
        // SAFETY: writing a local buffer to a descriptor the process holds open.
        unsafe { libc::write(fd, text.as_ptr().cast(), text.len()) };
    }
}

/// The marker text of an operation: its name and where it reaches.
pub fn describe(op: &Op) -> String {
    match op {
        Op::Store { at, value } => format!("store {:#x} {:#x}", at.0, value.0),
        Op::Load { at } => format!("load {:#x}", at.0),
        Op::Sweep { at, pages, value } => format!("sweep {:#x} {} {:#x}", at.0, pages.0, value.0),
        Op::Fault { page, size, write } => {
            format!("fault {:#x} {size:?} {}", page.0, if *write { "write" } else { "read" })
        }
        Op::Read { at } => format!("read {:#x}", at.0),
        Op::Write { at, value } => format!("write {:#x} {:#x}", at.0, value.0),
        Op::Fsync => "fsync".into(),
        Op::Truncate { size } => format!("truncate {:#x}", size.0),
        Op::PunchHole { offset, length } => format!("punch-hole {:#x} {:#x}", offset.0, length.0),
        Op::Fallocate { offset, length } => format!("fallocate {:#x} {:#x}", offset.0, length.0),
        Op::DropCaches => "drop-caches".into(),
    }
}

type OpResult = Result<(), (&'static str, io::Error)>;

fn check(call: &'static str, ret: libc::c_int) -> OpResult {
    if ret < 0 { Err((call, io::Error::last_os_error())) } else { Ok(()) }
}

fn run_op(sh: &Shared<'_>, op: &Op) -> OpResult {
    let fd = sh.file.as_raw_fd();
    // SAFETY (all blocks below): volatile and atomic accesses inside the mapping, and system
    // calls on the open file with local buffers.
    match *op {
        Op::Store { at, value } => unsafe { sh.mapping.at(at.0).write_volatile(value.0) },
        Op::Load { at } => unsafe {
            sh.mapping.at(at.0).read_volatile();
        },
        Op::Sweep { at, pages, value } => {
            for k in 0..pages.0 {
                unsafe { sh.mapping.at(at.0 + (k << 12)).write_volatile(value.0) };
            }
        }
        // User space cannot choose the fault size; a write fault that leaves the data as it
        // was is an atomic add of zero.
        Op::Fault { page, write, .. } => unsafe {
            let p = sh.mapping.at(page.0 << 12);
            if write {
                (*p.cast::<std::sync::atomic::AtomicU64>()).fetch_add(0, std::sync::atomic::Ordering::SeqCst);
            } else {
                p.read_volatile();
            }
        },
        Op::Read { at } => {
            let mut b = [0u8; 8];
            let r = unsafe { libc::pread(fd, b.as_mut_ptr().cast(), 8, at.0 as libc::off_t) };
            return check("pread", r as libc::c_int);
        }
        Op::Write { at, value } => {
            let b = value.0.to_le_bytes();
            let r = unsafe { libc::pwrite(fd, b.as_ptr().cast(), 8, at.0 as libc::off_t) };
            return check("pwrite", r as libc::c_int);
        }
        Op::Fsync => return check("fsync", unsafe { libc::fsync(fd) }),
        Op::Truncate { size } => return check("ftruncate", unsafe { libc::ftruncate(fd, size.0 as libc::off_t) }),
        Op::PunchHole { offset, length } => {
            let mode = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
            let r = unsafe { libc::fallocate(fd, mode, offset.0 as libc::off_t, length.0 as libc::off_t) };
            return check("fallocate(PUNCH_HOLE)", r);
        }
        Op::Fallocate { offset, length } => {
            let r = unsafe { libc::fallocate(fd, 0, offset.0 as libc::off_t, length.0 as libc::off_t) };
            return check("fallocate", r);
        }
        Op::DropCaches => {
            return std::fs::write("/proc/sys/vm/drop_caches", "1").map_err(|e| ("drop_caches", e));
        }
    }
    Ok(())
}

/// The errno's name as the kernel headers spell it.
pub fn errno_name(n: i32) -> String {
    let name = match n {
        libc::EIO => "EIO",
        libc::ENOMEM => "ENOMEM",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENOSPC => "ENOSPC",
        libc::EINVAL => "EINVAL",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EFBIG => "EFBIG",
        libc::EPERM => "EPERM",
        libc::EACCES => "EACCES",
        _ => return format!("errno {n}"),
    };
    name.into()
}
