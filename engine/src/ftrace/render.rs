//! A kernel trace in words (explain), as Chrome trace-event JSON for Perfetto (export), and
//! its file form.

use super::timeline::{KernelTrace, SpanKind, fault_class};
use super::{Entry, Era, Event, Fault, FaultPoint, Record};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt::Write;

/// The JSON document a kernel trace is saved as.
pub const KERNEL_TRACE_FORMAT: &str = "daxlab-kernel-trace";
pub const KERNEL_TRACE_VERSION: u16 = 1;

#[derive(Serialize, Deserialize)]
struct Doc {
    format: String,
    version: u16,
    trace: KernelTrace,
}

#[derive(Debug, thiserror::Error)]
pub enum KernelTraceError {
    #[error("{path}: not a kernel trace: {message}")]
    NotKernel { path: String, message: String },
    #[error("{path}: kernel trace version {version} is newer than this daxlab reads ({KERNEL_TRACE_VERSION})")]
    Newer { path: String, version: u16 },
}

impl KernelTrace {
    pub fn encode(&self) -> Vec<u8> {
        let doc = Doc { format: KERNEL_TRACE_FORMAT.into(), version: KERNEL_TRACE_VERSION, trace: self.clone() };
        serde_json::to_vec_pretty(&doc).expect("every kernel trace type serialises")
    }

    /// Whether `bytes` claim to be a kernel trace (JSON with our format name).
    pub fn is_kernel_trace(bytes: &[u8]) -> bool {
        let head = &bytes[..bytes.len().min(200)];
        bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
            && String::from_utf8_lossy(head).contains(KERNEL_TRACE_FORMAT)
    }

    pub fn decode(bytes: &[u8], path: &str) -> Result<KernelTrace, KernelTraceError> {
        let not = |message: String| KernelTraceError::NotKernel { path: path.to_string(), message };
        let v: Value = serde_json::from_slice(bytes).map_err(|e| not(format!("not valid JSON: {e}")))?;
        if v.get("format").and_then(Value::as_str) != Some(KERNEL_TRACE_FORMAT) {
            return Err(not(format!("no \"format\": \"{KERNEL_TRACE_FORMAT}\"")));
        }
        let version = v.get("version").and_then(Value::as_u64).ok_or_else(|| not("no \"version\"".into()))?;
        if version > u64::from(KERNEL_TRACE_VERSION) {
            return Err(KernelTraceError::Newer { path: path.to_string(), version: version.min(65535) as u16 });
        }
        let doc: Doc = serde_json::from_value(v).map_err(|e| not(format!("does not match the format: {e}")))?;
        Ok(doc.trace)
    }

    fn entry_text(&self, raw: u64) -> String {
        let era = self.era.or_else(|| Era::of_value(raw));
        match era.and_then(|e| Entry::decode(raw, e)) {
            Some(e) => format!("{raw:#x} ({})", e.describe()),
            None => format!("{raw:#x}"),
        }
    }

    /// One record in words.
    pub fn describe(&self, r: &Record) -> String {
        match &r.event {
            Event::Fault(f) => describe_fault(f),
            Event::PmdLoadHole { fallback, address, entry, .. } => format!(
                "dax_pmd_load_hole{}: huge zero page at {address:#x}, entry {}",
                if *fallback { "_fallback" } else { "" },
                self.entry_text(*entry)
            ),
            Event::PmdInsertMapping { address, pfn, entry, write, .. } => format!(
                "dax_pmd_insert_mapping: {} PMD at {address:#x} -> pfn {pfn:#x}, entry {}",
                if *write { "writable" } else { "read-only" },
                self.entry_text(*entry)
            ),
            Event::InsertMapping { address, entry, .. } => {
                format!("dax_insert_mapping at {address:#x}, entry {}", self.entry_text(*entry))
            }
            Event::WritebackRange { done, start, end, .. } => {
                format!("dax_writeback_range{} pgoff {start:#x}-{end:#x}", if *done { "_done" } else { "" })
            }
            Event::WritebackOne { pgoff, pglen, .. } => format!("dax_writeback_one pgoff {pgoff:#x} pglen {pglen:#x}"),
            Event::SchedSwitch { prev_comm, prev_pid, prev_state, next_comm, next_pid } => {
                format!("switch {prev_comm}-{prev_pid} ({prev_state}) -> {next_comm}-{next_pid}")
            }
            Event::SchedWakeup { comm, pid, .. } => format!("wakes {comm}-{pid}"),
            Event::Marker { text } => format!("marker: {text}"),
            Event::Probe { name, location, returned_from, args } => {
                let args: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
                match returned_from {
                    Some(f) => format!("{f}() returns to {location} {}", args.join(" ")),
                    None => format!("probe {name} at {location} {}", args.join(" ")),
                }
            }
        }
    }

    /// The narrated walk through the capture: header, lanes, then every non-scheduler
    /// event and the switches of the lanes' tasks, with spans' durations.
    pub fn explain(&self) -> String {
        let tl = self.timeline();
        let mut out = String::new();
        let release = self.release.as_deref().unwrap_or("not given");
        let era = self.era.map_or("unknown", |e| if e == Era::Radix { "radix tree" } else { "XArray" });
        let _ = writeln!(out, "kernel trace imported from {} (kernel {release}, {era} entries)", self.source);
        let lanes: Vec<String> = tl.lanes.iter().map(|l| format!("{}-{}", l.task, l.pid)).collect();
        let _ = writeln!(out, "lanes: {}", lanes.join(", "));
        let faults: Vec<String> = tl
            .spans
            .iter()
            .filter_map(|s| match &s.kind {
                SpanKind::Fault { result: Some(r), .. } => Some(fault_class(r)),
                _ => None,
            })
            .fold(std::collections::BTreeMap::<&str, u32>::new(), |mut m, c| {
                *m.entry(c).or_default() += 1;
                m
            })
            .into_iter()
            .map(|(c, n)| format!("{n} {c}"))
            .collect();
        let _ = writeln!(out, "faults: {}", if faults.is_empty() { "none".into() } else { faults.join(", ") });
        for w in &self.warnings {
            let _ = writeln!(out, "warning: line {}: {}", w.line, w.message);
        }
        let lane_pids: Vec<i64> = tl.lanes.iter().map(|l| l.pid).collect();
        let t0 = self.records.first().map_or(0, |r| r.ts_ns);
        for r in &self.records {
            let shown = match &r.event {
                Event::SchedSwitch { prev_pid, next_pid, .. } => {
                    lane_pids.contains(prev_pid) || lane_pids.contains(next_pid)
                }
                Event::SchedWakeup { pid, .. } => lane_pids.contains(pid),
                _ => true,
            };
            if shown {
                let us = r.ts_ns.saturating_sub(t0) as f64 / 1000.0;
                let _ = writeln!(out, "{us:>12.1} us  {:>16}  {}", format!("{}-{}", r.task, r.pid), self.describe(r));
            }
        }
        out
    }

    /// Chrome trace-event JSON (ui.perfetto.dev opens it): one thread per lane under a
    /// "kernel" process, faults and writebacks as slices, time off the CPU as its own
    /// slices, instants for the rest, flows for wake-ups.
    pub fn to_perfetto(&self) -> Value {
        let tl = self.timeline();
        let t0 = self.records.first().map_or(0, |r| r.ts_ns);
        let us = |ns: u64| ns.saturating_sub(t0) as f64 / 1000.0;
        let mut ev = vec![
            json!({ "ph": "M", "pid": 1, "name": "process_name", "args": { "name": format!("kernel ({})", self.source) } }),
        ];
        for (i, l) in tl.lanes.iter().enumerate() {
            ev.push(json!({ "ph": "M", "pid": 1, "tid": i + 1, "name": "thread_name", "args": { "name": format!("{}-{}", l.task, l.pid) } }));
        }
        let end = self.records.last().map_or(t0, |r| r.ts_ns);
        for s in &tl.spans {
            let (name, cat) = match &s.kind {
                SpanKind::Fault { pmd, write, result, .. } => (
                    format!(
                        "{} {} fault → {}",
                        if *pmd { "PMD" } else { "PTE" },
                        if *write { "write" } else { "read" },
                        result.as_ref().map_or("(no end)", fault_class)
                    ),
                    "kernel-fault",
                ),
                SpanKind::Writeback { start, end } => (format!("writeback {start:#x}-{end:#x}"), "kernel-writeback"),
                SpanKind::OffCpu { state } => (format!("off CPU ({state})"), "kernel-sched"),
            };
            let dur = us(s.end_ns.unwrap_or(end)) - us(s.start_ns);
            ev.push(json!({ "ph": "X", "pid": 1, "tid": s.lane + 1, "ts": us(s.start_ns), "dur": dur, "name": name, "cat": cat, "args": { "line": s.line } }));
        }
        for &(lane, i) in &tl.instants {
            let r = &self.records[i];
            ev.push(json!({ "ph": "i", "s": "t", "pid": 1, "tid": lane + 1, "ts": us(r.ts_ns), "name": self.describe(r), "cat": "kernel", "args": { "line": r.line } }));
        }
        for (k, &(i, woken, waker)) in tl.wakeups.iter().enumerate() {
            let ts = us(self.records[i].ts_ns);
            if let Some(w) = waker {
                ev.push(json!({ "ph": "s", "id": k, "pid": 1, "tid": w + 1, "ts": ts, "name": "wakeup", "cat": "kernel-sched" }));
                ev.push(json!({ "ph": "f", "bp": "e", "id": k, "pid": 1, "tid": woken + 1, "ts": ts, "name": "wakeup", "cat": "kernel-sched" }));
            }
        }
        json!({ "traceEvents": ev, "displayTimeUnit": "ns" })
    }
}

fn describe_fault(f: &Fault) -> String {
    let what = match f.point {
        FaultPoint::PmdFault => "PMD fault begins",
        FaultPoint::PmdFaultDone => "PMD fault done",
        FaultPoint::PteFault => "PTE fault begins",
        FaultPoint::PteFaultDone => "PTE fault done",
        FaultPoint::LoadHole => "dax_load_hole",
        FaultPoint::PfnMkwrite => "pfn_mkwrite",
        FaultPoint::PfnMkwriteNoEntry => "pfn_mkwrite (no entry)",
    };
    let rw = if f.flags.has("WRITE") { "write" } else { "read" };
    let result = f.result.as_ref().map(|r| format!(" → {}", r.text())).unwrap_or_default();
    format!("{what}: {rw} at {:#x} pgoff {:#x} [{}]{result}", f.address, f.pgoff, f.flags.text())
}
