//! Reading a kernel's ftrace text: /sys/kernel/tracing/trace (any width of the latency
//! flag columns, with or without the header legend) and `trace-cmd report` output. The
//! fs_dax events of v4.11 and later, sched_switch and sched_wakeup, trace_marker lines and
//! k/uprobe events become typed [`Record`]s; other events (filesystem events, anything
//! unknown) are counted as context; a known event whose fields do not parse is reported
//! with its line number and skipped. Nothing here panics on any input.

mod decode;
mod event;
mod line;
mod render;
mod timeline;
mod write;

pub use decode::{Entry, Era, FAULT_FLAGS, Flags, RESULT_FLAGS};
pub use event::{Event, Fault, FaultPoint, Inode, Interpreted, interpret, number};
pub use line::{RawLine, SplitError, parse_timestamp, split_line};
pub use render::{KERNEL_TRACE_FORMAT, KERNEL_TRACE_VERSION, KernelTraceError};
pub use timeline::{KernelTrace, Lane, Span, SpanKind, Timeline, fault_class};
pub use write::{MODEL_INODE, MODEL_PID_BASE, event_text, from_model, write_line, write_trace};

use serde::{Deserialize, Serialize};

/// One event of the capture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// 1-based line number in the input.
    pub line: usize,
    pub task: String,
    pub pid: i64,
    pub cpu: u32,
    /// The latency flag columns as printed (absent in trace-cmd's default report).
    pub flags: Option<String>,
    pub ts_ns: u64,
    pub event: Event,
}

/// Something the reader had to say about a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

/// A context event: one the importer keeps but does not model (e.g. `xfs_filemap_fault`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextLine {
    pub line: usize,
    pub task: String,
    pub pid: i64,
    pub ts_ns: u64,
    pub event: String,
    pub body: String,
}

/// The capture, read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    pub records: Vec<Record>,
    pub context: Vec<ContextLine>,
    pub warnings: Vec<Warning>,
    /// Lines that were neither events nor headers (console noise, text around the trace).
    pub other_lines: usize,
    /// Events the ring buffer dropped, as the trace says ("LOST n EVENTS", or a header
    /// whose entries-in-buffer is below entries-written).
    pub lost_events: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum FtraceError {
    #[error(
        "{path}: this is a binary trace-cmd file (trace.dat); turn it into text first: trace-cmd report -i {path} > {path}.txt"
    )]
    TraceDat { path: String },
    #[error(
        "{path}: nothing to import: no fs_dax, sched, trace_marker or probe event among {lines} lines (is this /sys/kernel/tracing/trace or trace-cmd report output?)"
    )]
    Empty { path: String, lines: usize },
}

/// The magic a trace-cmd data file starts with.
const TRACE_DAT_MAGIC: &[u8] = b"\x17\x08\x44tracing";

/// Lines longer than this are not trace lines (the kernel's trace_seq holds a page).
const MAX_LINE: usize = 64 * 1024;

impl Capture {
    /// Reads a capture from bytes (invalid UTF-8 is replaced, never fatal).
    pub fn parse(bytes: &[u8], path: &str) -> Result<Capture, FtraceError> {
        if bytes.starts_with(TRACE_DAT_MAGIC) {
            return Err(FtraceError::TraceDat { path: path.to_string() });
        }
        let text = String::from_utf8_lossy(bytes);
        let cap = Capture::parse_text(&text);
        if cap.records.is_empty() {
            return Err(FtraceError::Empty { path: path.to_string(), lines: text.lines().count() });
        }
        Ok(cap)
    }

    /// Reads whatever is there; an empty result is not an error here.
    pub fn parse_text(text: &str) -> Capture {
        let mut cap = Capture::default();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim_end_matches('\r');
            if line.len() > MAX_LINE {
                cap.warnings.push(Warning { line: n, message: format!("a line of {} bytes is skipped", line.len()) });
                continue;
            }
            if header_overflow(line) {
                cap.warnings
                    .push(Warning { line: n, message: "the ring buffer dropped events (see the header)".into() });
            }
            if let Some(lost) = lost_events(line) {
                cap.lost_events += lost;
                cap.warnings.push(Warning { line: n, message: format!("the ring buffer lost {lost} events here") });
                continue;
            }
            match split_line(line) {
                Err(SplitError::NotAnEvent) => {
                    if !line.trim_start().starts_with('#') && !line.trim().is_empty() {
                        cap.other_lines += 1;
                    }
                }
                Err(SplitError::Malformed(m)) => {
                    cap.warnings.push(Warning { line: n, message: format!("not a trace line: {m}") })
                }
                Ok(r) => cap.add(n, &r),
            }
        }
        cap
    }

    fn add(&mut self, n: usize, r: &RawLine<'_>) {
        match interpret(r.event, r.body) {
            Interpreted::Event(event) => self.records.push(Record {
                line: n,
                task: r.task.to_string(),
                pid: r.pid,
                cpu: r.cpu,
                flags: r.flags.map(str::to_string),
                ts_ns: r.ts_ns,
                event,
            }),
            Interpreted::Context => self.context.push(ContextLine {
                line: n,
                task: r.task.to_string(),
                pid: r.pid,
                ts_ns: r.ts_ns,
                event: r.event.to_string(),
                body: r.body.to_string(),
            }),
            Interpreted::Malformed(m) => self.warnings.push(Warning { line: n, message: format!("skipped: {m}") }),
        }
    }

    /// The fault events, in order.
    pub fn faults(&self) -> impl Iterator<Item = (&Record, &Fault)> {
        self.records.iter().filter_map(|r| match &r.event {
            Event::Fault(f) => Some((r, f)),
            _ => None,
        })
    }

    /// The era the entry values point to, when they all agree.
    pub fn era_of_entries(&self) -> Option<Era> {
        let mut eras = self.records.iter().filter_map(|r| match r.event {
            Event::PmdLoadHole { entry, .. }
            | Event::PmdInsertMapping { entry, .. }
            | Event::InsertMapping { entry, .. } => Era::of_value(entry),
            _ => None,
        });
        let first = eras.next()?;
        eras.all(|e| e == first).then_some(first)
    }
}

/// "CPU:0 [LOST 12 EVENTS]" (the trace file) or "CPU 0 is empty"-style notes; returns n.
fn lost_events(line: &str) -> Option<u64> {
    let at = line.find("[LOST ")?;
    line[at + 6..].split_whitespace().next()?.parse().ok()
}

fn header_overflow(line: &str) -> bool {
    let Some(rest) = line.trim_start().strip_prefix('#') else { return false };
    let Some(counts) = rest.trim().strip_prefix("entries-in-buffer/entries-written:") else { return false };
    let mut it = counts.split_whitespace().next().unwrap_or("").split('/').map(|n| n.parse::<u64>().ok());
    matches!((it.next(), it.next()), (Some(Some(a)), Some(Some(b))) if a < b)
}
