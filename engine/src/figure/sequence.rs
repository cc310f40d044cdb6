//! The sequence diagram of a trace: one column per thread (as in the seed commit's own
//! "Thread 1 / Thread 2" picture), time downwards, one row per event worth telling with
//! daxlab's narration as its caption. Lock-held bars run beside each thread's lifeline,
//! race windows are shaded, and -EEXIST, the fix's re-lookup, restarts, fallbacks,
//! wake-ups and the BUG are marked. Everything drawn comes from the trace's events and
//! from `analysis` (`analyze`, `narrate`); nothing here decides what the kernel does.

use super::scene::{Scene, TextSpec, wrap};
use super::sequence_paint as paint;
use super::style;
use super::{FigureError, StepRange};
use crate::analysis::EventClass;
use crate::analysis::{Analysis, analyze, narrate, worth_telling};
use crate::dax::dax_is_locked;
use crate::radix::Item;
use crate::sim::Switch;
use crate::trace::{Event, EventKind, Func, Trace};

/// Traces with more rows than this get a default range around their first landmark.
const MAX_DEFAULT_ROWS: usize = 160;
const ROWS_BEFORE: usize = 110;
const ROWS_AFTER: usize = 30;

pub(super) const MARGIN: i32 = 20;
pub(super) const TITLE_H: i32 = 82;
pub(super) const HEAD_H: i32 = 46;
pub(super) const GUTTER: i32 = 50;
pub(super) const CAP_W: i32 = 600;
pub(super) const LINE: i32 = 16;
pub(super) const CONTEXT_H: i32 = 14;

pub(super) fn caption_spec() -> TextSpec {
    TextSpec::new(12.5, style::INK)
}
pub(super) fn label_spec() -> TextSpec {
    TextSpec::new(11.0, style::INK).mono()
}

/// One row of the diagram: an event, or a thread switch between two events.
pub(super) enum RowKind {
    Event { index: usize, class: EventClass, context: Option<String>, label: String },
    Switch { preemption: Option<u32> },
}

pub(super) struct Row {
    pub kind: RowKind,
    pub y: i32,
    pub h: i32,
    pub caption: Vec<String>,
}

impl Row {
    /// Where the row's marks sit: the middle of its label line.
    pub fn mid(&self) -> i32 {
        match &self.kind {
            RowKind::Event { context, .. } => self.y + if context.is_some() { CONTEXT_H } else { 0 } + 10,
            RowKind::Switch { .. } => self.y + self.h / 2,
        }
    }
    pub fn event(&self) -> Option<usize> {
        match self.kind {
            RowKind::Event { index, .. } => Some(index),
            RowKind::Switch { .. } => None,
        }
    }
}

/// Everything the painters need.
pub(super) struct Diagram<'a> {
    pub trace: &'a Trace,
    pub names: Vec<String>,
    pub processes: Vec<String>,
    pub analysis: Analysis,
    pub sentences: Vec<String>,
    pub from: u32,
    pub to: u32,
    /// Events of the range: [lo, hi).
    pub lo: usize,
    pub hi: usize,
    pub col_w: i32,
    pub rows: Vec<Row>,
    pub rows_top: i32,
    pub rows_bottom: i32,
}

impl Diagram<'_> {
    pub fn threads(&self) -> usize {
        self.names.len()
    }
    pub fn col_x(&self, tid: usize) -> i32 {
        MARGIN + GUTTER + tid as i32 * self.col_w
    }
    pub fn life_x(&self, tid: usize) -> i32 {
        self.col_x(tid) + 34
    }
    pub fn caption_x(&self) -> i32 {
        self.col_x(self.threads()) + 14
    }
    pub fn width(&self) -> i32 {
        self.col_x(self.threads()) + CAP_W + MARGIN
    }
    /// The row of the first told event of `tid` at `step` or later, if in range.
    pub fn row_at_step(&self, step: u32, tid: Option<usize>) -> Option<&Row> {
        self.rows.iter().find(|r| {
            r.event().is_some_and(|i| {
                let e = &self.trace.events[i];
                e.step >= step && tid.is_none_or(|t| t == e.tid.index())
            })
        })
    }
    /// The y of `step` (of `tid`) clamped to the diagram.
    pub fn y_of_step(&self, step: u32, tid: usize) -> i32 {
        if step < self.from {
            return self.rows_top;
        }
        if step > self.to {
            return self.rows_bottom;
        }
        self.row_at_step(step, Some(tid)).or_else(|| self.row_at_step(step, None)).map_or(self.rows_bottom, Row::mid)
    }
}

/// Draws the sequence diagram of `trace` over `range` (default: the whole trace, or for a
/// long one a window around its first BUG, -EEXIST or restart).
pub fn sequence(trace: &Trace, range: StepRange) -> Result<Scene, FigureError> {
    let sc = trace.scenario().map_err(|e| FigureError::Input(e.to_string()))?;
    let names = sc.thread_names();
    let processes = sc.threads().map(|(_, p, _)| p.name.get_ref().clone()).collect();
    let analysis = analyze(&trace.events);
    let sentences = narrate(&trace.events, &analysis, &names);
    let (from, to) = resolve_range(trace, &analysis, range)?;
    let lo = trace.events.partition_point(|e| e.step < from);
    let hi = trace.events.partition_point(|e| e.step <= to);
    let col_w = if names.len() >= 4 { 215 } else { 245 };
    let mut d = Diagram {
        trace,
        names,
        processes,
        analysis,
        sentences,
        from,
        to,
        lo,
        hi,
        col_w,
        rows: Vec::new(),
        rows_top: MARGIN + TITLE_H + HEAD_H,
        rows_bottom: 0,
    };
    layout_rows(&mut d);
    let legend = paint::legend_height(&d);
    let mut scene = Scene::new(d.width() as u32, (d.rows_bottom + legend + MARGIN) as u32);
    paint::all(&mut scene, &d);
    Ok(scene)
}

fn resolve_range(trace: &Trace, a: &Analysis, range: StepRange) -> Result<(u32, u32), FigureError> {
    let last = trace.events.last().map_or(0, |e| e.step);
    for s in [range.from, range.to].into_iter().flatten() {
        if s > last {
            return Err(FigureError::Input(format!(
                "step {s} is beyond the trace's last step {last} (it has {} steps)",
                trace.steps
            )));
        }
    }
    let (from, to) = match (range.from, range.to) {
        (None, None) => default_range(trace, a),
        (f, t) => (f.unwrap_or(0), t.unwrap_or(last)),
    };
    if from > to {
        return Err(FigureError::Input(format!("the range starts at step {from}, after its end at step {to}")));
    }
    Ok((from, to))
}

/// The whole trace, or a window of rows around its first landmark when it is long.
fn default_range(trace: &Trace, a: &Analysis) -> (u32, u32) {
    let told: Vec<u32> = trace.events.iter().filter(|e| worth_telling(e)).map(|e| e.step).collect();
    let last = trace.events.last().map_or(0, |e| e.step);
    if told.len() <= MAX_DEFAULT_ROWS {
        return (0, last);
    }
    let bug = trace.events.iter().find(|e| matches!(e.kind, EventKind::Bug { .. })).map(|e| e.step);
    let key = bug
        .or_else(|| a.eexist.first().map(|x| x.step))
        .or_else(|| a.restarts.first().map(|r| r.1))
        .or_else(|| a.windows.iter().find(|w| !w.intruders.is_empty()).map(|w| w.open))
        .unwrap_or(0);
    let at = told.partition_point(|s| *s < key);
    let first = told[at.saturating_sub(ROWS_BEFORE)];
    let end = told[(at + ROWS_AFTER).min(told.len() - 1)];
    (first, end)
}

/// The innermost kernel function of each thread after each event (from Enter/Exit).
fn contexts(events: &[Event], threads: usize) -> Vec<Option<Func>> {
    let mut stacks: Vec<Vec<Func>> = vec![Vec::new(); threads];
    events
        .iter()
        .map(|e| {
            let s = &mut stacks[e.tid.index()];
            match e.kind {
                EventKind::Enter { func } => s.push(func),
                EventKind::Exit { .. } => {
                    s.pop();
                }
                _ => {}
            }
            s.iter()
                .rev()
                .find(|f| {
                    !matches!(f, Func::UserAccess | Func::GetUnlockedMappingEntry | Func::PutUnlockedMappingEntry)
                })
                .copied()
        })
        .collect()
}

fn layout_rows(d: &mut Diagram) {
    let ctx = contexts(&d.trace.events[..d.hi], d.threads());
    let cap = caption_spec();
    let mut last_ctx: Vec<Option<Func>> = vec![None; d.threads()];
    let mut switches = d.trace.switches.iter().peekable();
    let mut preemptions = d.trace.switches.iter().filter(|s| s.preempted() && s.step < d.from).count() as u32;
    let mut y = d.rows_top;
    let mut rows = Vec::new();
    for (i, e) in d.trace.events.iter().enumerate().take(d.hi).skip(d.lo) {
        if !worth_telling(e) {
            continue;
        }
        while let Some(s) = switches.next_if(|s| s.step <= e.step) {
            if s.step < d.from {
                continue;
            }
            preemptions += u32::from(s.preempted());
            let caption = vec![switch_caption(&d.names, s, preemptions)];
            let h = 20;
            rows.push(Row {
                kind: RowKind::Switch { preemption: s.preempted().then_some(preemptions) },
                y,
                h,
                caption,
            });
            y += h;
        }
        let t = e.tid.index();
        let now = ctx[i];
        let context = (now != last_ctx[t]).then(|| now.map_or("(user space)".into(), |f| format!("in {}()", f.name())));
        last_ctx[t] = now;
        let caption = wrap(&d.sentences[i], CAP_W - 24, &cap);
        let label = style::short_label(&e.kind, &d.names);
        let h = if context.is_some() { CONTEXT_H } else { 0 } + LINE.max(LINE * caption.len() as i32) + 6;
        let class = d.analysis.class(e);
        rows.push(Row { kind: RowKind::Event { index: i, class, context, label }, y, h, caption });
        y += h;
    }
    for s in switches.filter(|s| s.step >= d.from && s.step <= d.to) {
        preemptions += u32::from(s.preempted());
        let caption = vec![switch_caption(&d.names, s, preemptions)];
        rows.push(Row {
            kind: RowKind::Switch { preemption: s.preempted().then_some(preemptions) },
            y,
            h: 20,
            caption,
        });
        y += 20;
    }
    d.rows = rows;
    d.rows_bottom = y + 8;
}

fn switch_caption(names: &[String], s: &Switch, n: u32) -> String {
    if s.preempted() { format!("preemption {n}: {}", s.describe(names)) } else { s.describe(names) }
}

/// Thread state along the diagram, read off the events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Track {
    pub asleep: bool,
    pub spinning: bool,
    pub exited: bool,
    pub tree_lock: bool,
    pub entry_locks: u32,
}

/// Applies one event to the threads' tracks.
pub(super) fn track(tracks: &mut [Track], e: &Event) {
    use EventKind as E;
    let t = &mut tracks[e.tid.index()];
    let locked = |i: &Item| matches!(i, Item::Exceptional(v) if dax_is_locked(*v));
    match &e.kind {
        E::WaitBegin { .. } => t.asleep = true,
        E::WaitEnd { .. } => t.asleep = false,
        E::LockContended { .. } | E::RwsemContended { .. } => t.spinning = true,
        E::LockAcquire { lock } => {
            t.spinning = false;
            t.tree_lock |= *lock == crate::kernel::LockId::TreeLock;
        }
        E::RwsemAcquire { .. } => t.spinning = false,
        E::LockRelease { lock } if *lock == crate::kernel::LockId::TreeLock => t.tree_lock = false,
        E::ThreadExit { .. } => t.exited = true,
        E::Insert { item, err: None, .. } if locked(item) => t.entry_locks += 1,
        E::EntryLock { .. } | E::PageLock { .. } => t.entry_locks += 1,
        E::EntryUnlock { .. } | E::PageUnlock { .. } => t.entry_locks = t.entry_locks.saturating_sub(1),
        E::Delete { item, .. } if locked(item) => t.entry_locks = t.entry_locks.saturating_sub(1),
        E::PageCacheInsert { replaced: Some(item), .. } if locked(item) => {
            t.entry_locks = t.entry_locks.saturating_sub(1)
        }
        E::Wake { woken, .. } => {
            for w in woken.iter() {
                if let Some(t) = tracks.get_mut(w.index()) {
                    t.asleep = false;
                }
            }
        }
        _ => {}
    }
}
