//! A kernel trace: what a real kernel's capture shows, arranged as the workbench arranges a
//! model trace — one lane per task that touched DAX, fault spans with their VM_FAULT
//! results, hole loads, mkwrites, writeback ranges, the task's time off the CPU, wake-ups
//! and markers. The spans are derived from the records every time, never stored.

use super::{Capture, ContextLine, Era, Event, Fault, FaultPoint, Flags, Record, Warning};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An imported capture: the records and where they came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelTrace {
    /// The capture file it was imported from.
    pub source: String,
    /// The kernel release the user named (`--kernel`), if any.
    pub release: Option<String>,
    /// How DAX entry values are decoded.
    pub era: Option<Era>,
    pub records: Vec<Record>,
    pub context: Vec<ContextLine>,
    pub warnings: Vec<Warning>,
}

/// A task with DAX activity (a fault, a probe on a DAX function, writeback or a marker).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lane {
    pub task: String,
    pub pid: i64,
}

/// How a fault ended, in the VM_FAULT vocabulary.
pub fn fault_class(result: &Flags) -> &'static str {
    const ORDER: &[&str] =
        &["SIGBUS", "OOM", "SIGSEGV", "HWPOISON", "NEEDDSYNC", "FALLBACK", "RETRY", "NOPAGE", "DONE_COW"];
    ORDER.iter().find(|n| result.has(n)).copied().unwrap_or(if result.is_empty() { "0" } else { "other" })
}

/// Something with a duration on one lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpanKind {
    /// From the fault's entry tracepoint to its done tracepoint.
    Fault { pmd: bool, write: bool, address: u64, pgoff: u64, result: Option<Flags> },
    /// dax_writeback_range .. _done.
    Writeback { start: u64, end: u64 },
    /// Switched out (sched_switch) until switched in again; `state` as printed (D = asleep
    /// uninterruptibly, e.g. waiting for a DAX entry lock).
    OffCpu { state: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub lane: usize,
    pub start_ns: u64,
    /// None: the capture ends (or was cut) before it did.
    pub end_ns: Option<u64>,
    /// The line of the record that opened it.
    pub line: usize,
    pub kind: SpanKind,
}

/// What the lanes show, derived from the records.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    pub lanes: Vec<Lane>,
    pub spans: Vec<Span>,
    /// Records on a lane that are instants (hole loads, mkwrites, writeback_one, markers,
    /// probes): (lane, record index).
    pub instants: Vec<(usize, usize)>,
    /// sched_wakeup of a lane's task: (record index, the woken lane, the waker's lane if any).
    pub wakeups: Vec<(usize, usize, Option<usize>)>,
}

fn is_dax(e: &Event) -> bool {
    !matches!(e, Event::SchedSwitch { .. } | Event::SchedWakeup { .. })
}

impl KernelTrace {
    pub fn from_capture(cap: Capture, source: &str, release: Option<String>) -> KernelTrace {
        let era = release.as_deref().and_then(Era::of_release).or_else(|| cap.era_of_entries());
        KernelTrace {
            source: source.to_string(),
            release,
            era,
            records: cap.records,
            context: cap.context,
            warnings: cap.warnings,
        }
    }

    /// Tasks with DAX activity, in order of first appearance. The lab's own parent process
    /// (which only writes markers around the iterations) counts only if it does more.
    pub fn lanes(&self) -> Vec<Lane> {
        let mut lanes: Vec<Lane> = Vec::new();
        for r in self.records.iter().filter(|r| is_dax(&r.event)) {
            let marker_only = matches!(&r.event, Event::Marker { text } if text.starts_with("daxlab iteration"));
            if !marker_only && !lanes.iter().any(|l| l.pid == r.pid) {
                lanes.push(Lane { task: r.task.clone(), pid: r.pid });
            }
        }
        lanes
    }

    pub fn timeline(&self) -> Timeline {
        let lanes = self.lanes();
        let lane_of: BTreeMap<i64, usize> = lanes.iter().enumerate().map(|(i, l)| (l.pid, i)).collect();
        let mut t = Timeline { lanes, ..Timeline::default() };
        let mut open_faults: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut open_wb: BTreeMap<usize, usize> = BTreeMap::new();
        let mut off_cpu: BTreeMap<usize, usize> = BTreeMap::new();
        for (i, r) in self.records.iter().enumerate() {
            let lane = lane_of.get(&r.pid).copied();
            match (&r.event, lane) {
                (Event::Fault(f), Some(l)) => fault_span(&mut t, &mut open_faults, l, r, f, i),
                (Event::WritebackRange { done: false, start, end, .. }, Some(l)) => {
                    open_wb.insert(l, t.spans.len());
                    let kind = SpanKind::Writeback { start: *start, end: *end };
                    t.spans.push(Span { lane: l, start_ns: r.ts_ns, end_ns: None, line: r.line, kind });
                }
                (Event::WritebackRange { done: true, .. }, Some(l)) => {
                    if let Some(s) = open_wb.remove(&l) {
                        t.spans[s].end_ns = Some(r.ts_ns);
                    }
                }
                (Event::SchedSwitch { prev_pid, prev_state, next_pid, .. }, _) => {
                    if let Some(&l) = lane_of.get(prev_pid) {
                        off_cpu.insert(l, t.spans.len());
                        let kind = SpanKind::OffCpu { state: prev_state.clone() };
                        t.spans.push(Span { lane: l, start_ns: r.ts_ns, end_ns: None, line: r.line, kind });
                    }
                    if let Some(&l) = lane_of.get(next_pid)
                        && let Some(s) = off_cpu.remove(&l)
                    {
                        t.spans[s].end_ns = Some(r.ts_ns);
                    }
                }
                (Event::SchedWakeup { pid, .. }, _) => {
                    if let Some(&woken) = lane_of.get(pid) {
                        t.wakeups.push((i, woken, lane));
                    }
                }
                (_, Some(l)) => t.instants.push((l, i)),
                _ => {}
            }
        }
        t
    }
}

fn fault_span(t: &mut Timeline, open: &mut BTreeMap<usize, Vec<usize>>, l: usize, r: &Record, f: &Fault, i: usize) {
    let pmd = f.point.is_pmd();
    match f.point {
        FaultPoint::PmdFault | FaultPoint::PteFault => {
            open.entry(l).or_default().push(t.spans.len());
            let kind =
                SpanKind::Fault { pmd, write: f.flags.has("WRITE"), address: f.address, pgoff: f.pgoff, result: None };
            t.spans.push(Span { lane: l, start_ns: r.ts_ns, end_ns: None, line: r.line, kind });
        }
        FaultPoint::PmdFaultDone | FaultPoint::PteFaultDone => {
            let stack = open.entry(l).or_default();
            let at = stack.iter().rposition(|&s| {
                matches!(&t.spans[s].kind, SpanKind::Fault { pmd: p, address, .. } if *p == pmd && *address == f.address)
            });
            match at {
                Some(k) => {
                    let s = stack.remove(k);
                    t.spans[s].end_ns = Some(r.ts_ns);
                    if let SpanKind::Fault { result, .. } = &mut t.spans[s].kind {
                        *result = f.result.clone();
                    }
                }
                // The capture began inside this fault: a span of no known start.
                None => {
                    let kind = SpanKind::Fault {
                        pmd,
                        write: f.flags.has("WRITE"),
                        address: f.address,
                        pgoff: f.pgoff,
                        result: f.result.clone(),
                    };
                    t.spans.push(Span { lane: l, start_ns: r.ts_ns, end_ns: Some(r.ts_ns), line: r.line, kind });
                }
            }
        }
        _ => t.instants.push((l, i)),
    }
}
