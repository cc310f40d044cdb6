//! Chrome trace-event JSON, as the Perfetto UI opens it.
//!
//! One step of the execution is one microsecond; events within a step are spread over it
//! in order. Each emulated thread has a track of kernel-function slices (with sleeps and
//! spins nested inside the function that waits) and a second track of the locks it holds.
//! -EEXIST, restarts, the fix's re-lookup, fallbacks and invariant violations are instants;
//! lock hand-offs and wake-ups are flow arrows between small slices, the binding Perfetto's
//! importer handles reliably (`s` inside a slice, `f` with `bp: "e"`). The arrows are the
//! analysis's hand-offs and wake-ups, which is why this export lives here and not with the
//! trace files below.

use super::{EventClass, analyze};
use crate::kernel::LockId;
use crate::sim::Tid;
use crate::trace::{ENGINE_VERSION, Event, EventKind, Trace, describe};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const PID: u32 = 1;
const LOCK_TRACK: u32 = 100;

struct Writer {
    out: Vec<Value>,
    /// Open B slices per track, for closing what a halted run left open.
    open: BTreeMap<u32, Vec<String>>,
}

impl Writer {
    fn begin(&mut self, track: u32, ts: f64, name: String, args: Value) {
        self.out
            .push(json!({"name": name, "ph": "B", "pid": PID, "tid": track, "ts": ts, "cat": "kernel", "args": args}));
        self.open.entry(track).or_default().push(name);
    }

    fn end(&mut self, track: u32, ts: f64, name: &str) {
        let stack = self.open.entry(track).or_default();
        if stack.last().map(String::as_str) == Some(name) {
            stack.pop();
            self.out.push(json!({"name": name, "ph": "E", "pid": PID, "tid": track, "ts": ts, "cat": "kernel"}));
        }
    }

    fn instant(&mut self, track: u32, ts: f64, name: &str, text: String) {
        self.out.push(json!({"name": name, "ph": "i", "s": "t", "pid": PID, "tid": track, "ts": ts, "cat": "race", "args": {"what": text}}));
    }

    /// A flow arrow from (from, ts_from) to (to, ts_to), each end inside a tiny X slice.
    fn flow(&mut self, id: usize, name: &str, from: (u32, f64), to: (u32, f64)) {
        for (ph, (track, ts)) in [("s", from), ("f", to)] {
            self.out.push(
                json!({"name": name, "ph": "X", "pid": PID, "tid": track, "ts": ts, "dur": 0.004, "cat": "flow"}),
            );
            let mut e = json!({"name": name, "ph": ph, "id": id, "pid": PID, "tid": track, "ts": ts, "cat": "flow"});
            if ph == "f" {
                e["bp"] = json!("e");
            }
            self.out.push(e);
        }
    }
}

fn thread_track(tid: Tid) -> u32 {
    u32::from(tid.0) + 1
}

fn lock_track(tid: Tid) -> u32 {
    LOCK_TRACK + u32::from(tid.0)
}

/// Timestamps: step s spans [s, s+1) µs; the k-th event of a step sits at s + k/64.
fn timestamps(events: &[Event]) -> Vec<f64> {
    let mut ts = Vec::with_capacity(events.len());
    let mut k = 0u32;
    for (i, e) in events.iter().enumerate() {
        k = if i > 0 && events[i - 1].step == e.step { k + 1 } else { 0 };
        ts.push(f64::from(e.step) + f64::from(k.min(63)) / 64.0);
    }
    ts
}

pub fn to_perfetto(trace: &Trace, names: &[String]) -> Value {
    let mut w = Writer { out: Vec::new(), open: BTreeMap::new() };
    w.out.push(json!({"name": "process_name", "ph": "M", "pid": PID, "tid": 0, "args": {"name": format!("daxlab: {} ({})", trace.scenario, trace.kernel.label())}}));
    for (i, name) in names.iter().enumerate() {
        let t = Tid(i as u8);
        for (track, label, order) in
            [(thread_track(t), name.clone(), 2 * i), (lock_track(t), format!("{name} · locks"), 2 * i + 1)]
        {
            w.out.push(json!({"name": "thread_name", "ph": "M", "pid": PID, "tid": track, "args": {"name": label}}));
            w.out.push(json!({"name": "thread_sort_index", "ph": "M", "pid": PID, "tid": track, "args": {"sort_index": order}}));
        }
    }
    let ts = timestamps(&trace.events);
    for (e, &t) in trace.events.iter().zip(&ts) {
        slices_and_instants(&mut w, e, t, names);
    }
    arrows(&mut w, trace, &ts);
    let last = ts.last().copied().unwrap_or(0.0) + 1.0;
    for (track, stack) in std::mem::take(&mut w.open) {
        for name in stack.into_iter().rev() {
            w.out.push(json!({"name": name, "ph": "E", "pid": PID, "tid": track, "ts": last, "cat": "kernel"}));
        }
    }
    json!({"traceEvents": w.out, "displayTimeUnit": "ns", "otherData": {"outcome": trace.outcome.to_string(), "engine": ENGINE_VERSION}})
}

fn slices_and_instants(w: &mut Writer, e: &Event, t: f64, names: &[String]) {
    let track = thread_track(e.tid);
    let text = || describe(&e.kind, names);
    match &e.kind {
        EventKind::Enter { func } => w.begin(track, t, func.name().to_string(), json!({})),
        EventKind::Exit { func } => w.end(track, t, func.name()),
        EventKind::LockContended { lock, .. } => w.begin(track, t, format!("spinning on {lock}"), json!({})),
        EventKind::LockAcquire { lock } => {
            w.end(track, t, &format!("spinning on {lock}"));
            w.begin(lock_track(e.tid), t, format!("{lock} held"), json!({}));
        }
        EventKind::LockRelease { lock } => w.end(lock_track(e.tid), t, &format!("{lock} held")),
        EventKind::RwsemAcquire { lock, write } => {
            let mode = if *write { "write" } else { "read" };
            w.begin(lock_track(e.tid), t, format!("{lock} held ({mode})"), json!({}));
        }
        EventKind::RwsemRelease { lock, write } => {
            let mode = if *write { "write" } else { "read" };
            w.end(lock_track(e.tid), t, &format!("{lock} held ({mode})"));
        }
        EventKind::WaitBegin { key, bucket, .. } => w.begin(
            track,
            t,
            "sleeping on entry lock".into(),
            json!({"index": format!("{:#x}", key.index), "bucket": bucket}),
        ),
        EventKind::WaitEnd { .. } => w.end(track, t, "sleeping on entry lock"),
        kind => {
            // The race's landmarks that are moments rather than spans (waits and windows
            // are spans, drawn above; wake-ups are arrows, below).
            let c = EventClass::of(kind);
            if c.is_landmark() && !matches!(c, EventClass::Wake) {
                w.instant(track, t, c.label(), text());
            }
        }
    }
}

fn arrows(w: &mut Writer, trace: &Trace, ts: &[f64]) {
    let a = analyze(&trace.events);
    let at = |step: u32, pick: &dyn Fn(&Event) -> bool| -> Option<f64> {
        trace.events.iter().position(|e| e.step == step && pick(e)).map(|i| ts[i])
    };
    let mut id = 0;
    for h in &a.handoffs {
        let from = at(h.released, &|e| e.tid == h.from && matches!(e.kind, EventKind::LockRelease { .. }));
        let to = at(h.acquired, &|e| e.tid == h.to && matches!(e.kind, EventKind::LockAcquire { .. }));
        if let (Some(f), Some(t)) = (from, to) {
            id += 1;
            let name = if h.lock == LockId::TreeLock { "tree_lock hand-off" } else { "lock hand-off" };
            w.flow(id, name, (lock_track(h.from), f), (lock_track(h.to), t));
        }
    }
    for wake in &a.wakeups {
        let Some(from) = at(wake.step, &|e| e.tid == wake.waker && matches!(e.kind, EventKind::Wake { .. })) else {
            continue;
        };
        for woken in &wake.woken {
            let to =
                trace.events.iter().zip(ts).find(|(e, _)| {
                    e.tid == *woken && e.step > wake.step && matches!(e.kind, EventKind::WaitEnd { .. })
                });
            if let Some((_, &t)) = to {
                id += 1;
                w.flow(id, "wake-up", (thread_track(wake.waker), from), (thread_track(*woken), t));
            }
        }
    }
}
