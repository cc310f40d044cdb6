//! The guest's side of tracing: start and stop the ring buffer around an iteration, mark
//! phases with trace_marker, and copy the buffer to the capture port, framed.

use crate::lab::report::{CAPTURE_BEGIN, CAPTURE_END};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// tracefs, or nothing (a workload run outside the lab, for tests).
#[derive(Debug)]
pub struct Tracing {
    root: Option<PathBuf>,
    marker: Option<File>,
}

impl Tracing {
    pub fn new(root: Option<&Path>) -> io::Result<Tracing> {
        let marker = match root {
            Some(r) => Some(OpenOptions::new().write(true).open(r.join("trace_marker"))?),
            None => None,
        };
        Ok(Tracing { root: root.map(Path::to_path_buf), marker })
    }

    fn write(&self, file: &str, text: &str) -> io::Result<()> {
        match &self.root {
            Some(r) => OpenOptions::new().write(true).truncate(true).open(r.join(file))?.write_all(text.as_bytes()),
            None => Ok(()),
        }
    }

    /// Empties the buffer and starts recording.
    pub fn start(&self) -> io::Result<()> {
        self.write("trace", "")?;
        self.write("tracing_on", "1")
    }

    pub fn stop(&self) -> io::Result<()> {
        self.write("tracing_on", "0")
    }

    /// A trace_marker line (it appears as `tracing_mark_write: TEXT` under the writer's
    /// task). Errors are ignored: a lost marker must not stop the workload.
    pub fn mark(&self, text: &str) {
        if let Some(mut m) = self.marker.as_ref() {
            let _ = m.write_all(text.as_bytes());
        }
    }

    /// The raw file descriptor of trace_marker, for the workload's threads (-1 without).
    pub fn marker_fd(&self) -> i32 {
        self.marker.as_ref().map_or(-1, |m| m.as_raw_fd())
    }

    /// The buffer as /sys/kernel/tracing/trace prints it (empty without tracefs).
    pub fn read(&self) -> io::Result<String> {
        let mut text = String::new();
        if let Some(r) = &self.root {
            File::open(r.join("trace"))?.read_to_string(&mut text)?;
        }
        Ok(text)
    }
}

/// Whether the header says events were dropped: "entries-in-buffer/entries-written: A/B".
pub fn overflowed(trace: &str) -> bool {
    let Some(line) = trace.lines().find(|l| l.contains("entries-in-buffer/entries-written:")) else {
        return false;
    };
    let counts = line.split(':').nth(1).unwrap_or("").split_whitespace().next().unwrap_or("");
    let mut parts = counts.split('/').map(|n| n.parse::<u64>().ok());
    matches!((parts.next(), parts.next()), (Some(Some(a)), Some(Some(b))) if a < b)
}

/// Where captures go: the second serial port in the lab (made raw, so no CR is added to
/// each line), or a plain file.
#[derive(Debug)]
pub struct CapturePort {
    out: File,
}

impl CapturePort {
    pub fn open(path: &Path) -> io::Result<CapturePort> {
        let out = OpenOptions::new().create(true).append(true).open(path)?;
        // SAFETY: termios calls on an open descriptor with a zeroed struct they fill in; on
        // a file that is not a tty they fail and nothing changes.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(out.as_raw_fd(), &mut t) == 0 {
                libc::cfmakeraw(&mut t);
                libc::tcsetattr(out.as_raw_fd(), libc::TCSANOW, &t);
            }
        }
        Ok(CapturePort { out })
    }

    pub fn capture(&mut self, iteration: u32, trace: &str) -> io::Result<()> {
        writeln!(self.out, "{CAPTURE_BEGIN}{iteration} ===")?;
        self.out.write_all(trace.as_bytes())?;
        if !trace.ends_with('\n') && !trace.is_empty() {
            writeln!(self.out)?;
        }
        writeln!(self.out, "{CAPTURE_END}")
    }

    pub fn line(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "{text}")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::overflowed;

    #[test]
    fn overflow_is_read_from_the_header() {
        assert!(!overflowed("# entries-in-buffer/entries-written: 185/185   #P:2\n"));
        assert!(overflowed("# entries-in-buffer/entries-written: 185/190   #P:2\n"));
        assert!(!overflowed("no header at all\n"));
    }
}
