//! `daxlab lab guest`: the workload side of the lab, run inside the guest (or, for tests,
//! on any Linux machine). Each iteration makes a fresh file the way the scenario's `[file]`
//! says, runs the setup processes alone and then the others together, each scenario thread a
//! real thread doing real loads, stores and system calls; the kernel's trace of the
//! iteration and a result line go to the capture port.

mod process;
mod tracefs;

pub use process::describe;
pub use tracefs::{CapturePort, Tracing, overflowed};

use crate::fs::ExtentState;
use crate::lab::report::{DataCheck, IterationResult, Lost, ProcessEnd, ProcessResult, RESULT_PREFIX};
use crate::scenario::{Op, Scenario};
use process::{Child, Gate, Setup};
use std::collections::BTreeMap;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum GuestError {
    #[error("{what}: {source}")]
    Io { what: String, source: io::Error },
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> GuestError {
    let what = what.into();
    move |source| GuestError::Io { what, source }
}

#[derive(Debug)]
pub struct GuestConfig {
    /// Run in turn in every iteration.
    pub scenarios: Vec<Scenario>,
    /// Where the files are made (the DAX mount in the lab).
    pub dir: PathBuf,
    pub map_sync: bool,
    pub iterations: u32,
    /// The capture port (the second serial port in the lab) or a file.
    pub capture: PathBuf,
    /// tracefs, or None to run without tracing.
    pub tracefs: Option<PathBuf>,
    /// How long one iteration's processes may run before they are killed as hung.
    pub deadline: Duration,
}

/// Runs every iteration; the results also went to the capture port.
pub fn run(cfg: &GuestConfig) -> Result<Vec<IterationResult>, GuestError> {
    let tracing = Tracing::new(cfg.tracefs.as_deref()).map_err(io_err("open trace_marker"))?;
    let mut port = CapturePort::open(&cfg.capture).map_err(io_err(format!("open {}", cfg.capture.display())))?;
    let mut results = Vec::new();
    for _ in 0..cfg.iterations {
        for sc in &cfg.scenarios {
            let i = results.len() as u32 + 1;
            let r = iteration(cfg, sc, &tracing, &mut port, i)?;
            let json = serde_json::to_string(&r)
                .map_err(|e| GuestError::Io { what: "encode result".into(), source: e.into() })?;
            port.line(&format!("{RESULT_PREFIX}{json}")).map_err(io_err("write the result"))?;
            results.push(r);
        }
    }
    Ok(results)
}

fn iteration(
    cfg: &GuestConfig,
    sc: &Scenario,
    tracing: &Tracing,
    port: &mut CapturePort,
    i: u32,
) -> Result<IterationResult, GuestError> {
    let path = cfg.dir.join(format!("daxlab-{i}"));
    prepare_file(sc, &path).map_err(io_err(format!("prepare {}", path.display())))?;
    let dax = statx_dax(&path);
    let setup = Setup { sc, file: &path, map_sync: cfg.map_sync, marker_fd: tracing.marker_fd() };
    tracing.start().map_err(io_err("start tracing"))?;
    tracing.mark(&format!("daxlab iteration {i} start {}", sc.name));
    let t0 = Instant::now();
    let mut processes = Vec::new();
    for p in sc.processes.iter().filter(|p| p.setup) {
        let child = process::spawn(&setup, p, None).map_err(io_err("fork"))?;
        processes.extend(wait_all(vec![(p.name.get_ref().clone(), sc.map_base(p), child)], cfg.deadline));
    }
    let mut gate = Gate::new().map_err(io_err("make the starting gate"))?;
    let mut children = Vec::new();
    for p in sc.processes.iter().filter(|p| !p.setup) {
        let child = process::spawn(&setup, p, Some(&gate)).map_err(io_err("fork"))?;
        children.push((p.name.get_ref().clone(), sc.map_base(p), child));
    }
    gate.open();
    processes.extend(wait_all(children, cfg.deadline));
    let elapsed_us = t0.elapsed().as_micros() as u64;
    tracing.mark(&format!("daxlab iteration {i} end"));
    tracing.stop().map_err(io_err("stop tracing"))?;
    let text = tracing.read().map_err(io_err("read the trace"))?;
    port.capture(i, &text).map_err(io_err("write the capture"))?;
    let (processes, syscall_errors): (Vec<_>, Vec<_>) = processes.into_iter().unzip();
    let data = data_check(sc, &path, &processes);
    let _ = std::fs::remove_file(&path);
    Ok(IterationResult {
        iteration: i,
        scenario: sc.name.clone(),
        file: path.display().to_string(),
        dax,
        map_sync: cfg.map_sync,
        processes,
        syscall_errors: syscall_errors.into_iter().flatten().collect(),
        data,
        trace_overflow: overflowed(&text),
        elapsed_us,
    })
}

type Waited = (ProcessResult, Vec<crate::lab::report::SyscallError>);

/// Waits for every child; those still running at the deadline are killed and called hung.
/// The wait sleeps in poll(2) on the children's pidfds, so the waiting parent adds no
/// wake-ups of its own to the trace.
fn wait_all(children: Vec<(String, u64, Child)>, deadline: Duration) -> Vec<Waited> {
    let t0 = Instant::now();
    let mut ends: Vec<Option<ProcessEnd>> = vec![None; children.len()];
    // SAFETY: pidfd_open on our own children; the descriptors are closed below.
    let pidfds: Vec<i32> =
        children.iter().map(|(_, _, c)| unsafe { libc::syscall(libc::SYS_pidfd_open, c.pid, 0) as i32 }).collect();
    while ends.iter().any(Option::is_none) {
        let mut polled: Vec<libc::pollfd> = pidfds
            .iter()
            .zip(&ends)
            .filter(|(fd, end)| **fd >= 0 && end.is_none())
            .map(|(&fd, _)| libc::pollfd { fd, events: libc::POLLIN, revents: 0 })
            .collect();
        let left = deadline.saturating_sub(t0.elapsed()).as_millis().min(1000) as i32;
        // Without pidfds (old kernels) poll just sleeps a little between checks.
        let wait = if polled.is_empty() { left.min(5) } else { left };
        // SAFETY: poll on a local array of descriptors we own.
        unsafe { libc::poll(polled.as_mut_ptr(), polled.len() as libc::nfds_t, wait) };
        for (k, (_, _, c)) in children.iter().enumerate() {
            if ends[k].is_some() {
                continue;
            }
            let mut status = 0;
            // SAFETY: waiting for our own child, status into a local.
            let r = unsafe { libc::waitpid(c.pid, &mut status, libc::WNOHANG) };
            if r == c.pid || r < 0 {
                ends[k] = Some(end_of(status, r < 0));
            } else if t0.elapsed() >= deadline {
                // SAFETY: killing and reaping our own child.
                unsafe {
                    libc::kill(c.pid, libc::SIGKILL);
                    libc::waitpid(c.pid, &mut status, 0);
                }
                ends[k] = Some(ProcessEnd::Hung);
            }
        }
    }
    for fd in pidfds.into_iter().filter(|fd| *fd >= 0) {
        // SAFETY: closing the pidfds opened above.
        unsafe { libc::close(fd) };
    }
    children
        .into_iter()
        .zip(ends)
        .map(|((name, want, child), end)| {
            let report = child.report();
            let address = if report.address != 0 { report.address } else { want };
            (ProcessResult { name, address, end: end.unwrap_or(ProcessEnd::Hung) }, report.syscall_errors)
        })
        .collect()
}

fn end_of(status: i32, lost: bool) -> ProcessEnd {
    if lost {
        return ProcessEnd::Exited { code: -1 };
    }
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        let signal = match sig {
            libc::SIGBUS => "SIGBUS".to_string(),
            libc::SIGSEGV => "SIGSEGV".to_string(),
            libc::SIGKILL => "SIGKILL".to_string(),
            n => format!("signal {n}"),
        };
        return ProcessEnd::Signaled { signal };
    }
    ProcessEnd::Exited { code: libc::WEXITSTATUS(status) }
}

/// A fresh file: i_size as the scenario says, its extents written (zeros) or allocated
/// unwritten, the rest a hole; synced so that the blocks exist before the race.
fn prepare_file(sc: &Scenario, path: &Path) -> io::Result<()> {
    let _ = std::fs::remove_file(path);
    let f = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(path)?;
    f.set_len(sc.size())?;
    let zeros = vec![0u8; 1 << 20];
    for e in &sc.file.extents {
        let e = e.get_ref();
        match e.state {
            ExtentState::Written => {
                let mut at = e.offset.0;
                while at < e.offset.0 + e.length.0 {
                    let n = (e.offset.0 + e.length.0 - at).min(zeros.len() as u64) as usize;
                    f.write_all_at(&zeros[..n], at)?;
                    at += n as u64;
                }
            }
            ExtentState::Unwritten => {
                use std::os::fd::AsRawFd;
                // SAFETY: fallocate on an open file.
                let r = unsafe { libc::fallocate(f.as_raw_fd(), 0, e.offset.0 as i64, e.length.0 as i64) };
                if r != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
    }
    f.sync_all()
}

/// statx() says the file is accessed with DAX.
fn statx_dax(path: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: statx fills a zeroed local struct.
    unsafe {
        let mut st: libc::statx = std::mem::zeroed();
        libc::statx(libc::AT_FDCWD, c.as_ptr(), 0, libc::STATX_BASIC_STATS, &mut st) == 0
            && st.stx_attributes & (libc::STATX_ATTR_DAX as u64) != 0
    }
}

/// The values the file must hold afterwards, when the scenario determines them: stores
/// through shared mappings and writes, setup processes first, each offset written by at
/// most one of the racing threads.
pub fn expected_contents(sc: &Scenario) -> Result<BTreeMap<u64, u64>, String> {
    let mut setup = BTreeMap::new();
    let mut racing: BTreeMap<u64, (usize, u64)> = BTreeMap::new();
    for (tid, p, t) in sc.threads() {
        for op in &t.ops {
            let writes: Vec<(u64, u64)> = match *op.get_ref() {
                Op::Store { at, value } if p.mapping().shared => vec![(at.0, value.0)],
                Op::Sweep { at, pages, value } if p.mapping().shared => {
                    (0..pages.0).map(|k| (at.0 + (k << 12), value.0)).collect()
                }
                Op::Write { at, value } => vec![(at.0, value.0)],
                Op::Truncate { .. } | Op::PunchHole { .. } => {
                    return Err("the scenario truncates or punches holes, so what remains depends on the order".into());
                }
                _ => vec![],
            };
            for (at, v) in writes {
                if p.setup {
                    setup.insert(at, v);
                } else if let Some((other, _)) = racing.insert(at, (tid, v))
                    && other != tid
                {
                    return Err(format!("two threads write offset {at:#x}, so its final value depends on the order"));
                }
            }
        }
    }
    setup.extend(racing.into_iter().map(|(at, (_, v))| (at, v)));
    Ok(setup)
}

fn data_check(sc: &Scenario, path: &Path, processes: &[ProcessResult]) -> DataCheck {
    if let Some(p) = processes.iter().find(|p| !matches!(p.end, ProcessEnd::Exited { code: 0 })) {
        return DataCheck::Skipped { reason: format!("process {} did not finish: {:?}", p.name, p.end) };
    }
    let expected = match expected_contents(sc) {
        Ok(e) => e,
        Err(reason) => return DataCheck::Skipped { reason },
    };
    let Ok(f) = std::fs::File::open(path) else {
        return DataCheck::Skipped { reason: format!("cannot reopen {}", path.display()) };
    };
    let mut lost = Vec::new();
    for (&offset, &want) in &expected {
        let mut b = [0u8; 8];
        let found = f.read_exact_at(&mut b, offset).map_or(u64::MAX, |_| u64::from_le_bytes(b));
        if found != want {
            lost.push(Lost { offset, expected: want, found });
        }
    }
    DataCheck::Checked { values: expected.len() as u64, lost }
}
