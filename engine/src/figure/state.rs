//! The kernel state at one point of a trace, as the workbench's inspectors show it: the
//! radix tree drawn as its 64-slot nodes (a PMD entry spans its canonical slot and its 7
//! siblings), tree_lock, locked entries and sleepers, the threads, and the page tables.
//!
//! A point is a cursor position as in the workbench: "event P" means the first P events
//! have run, and "step N" means what the workbench shows after "go to step N" (the first
//! event of step N has just run). The state is the engine's own replay of the recording
//! (`analysis::Timeline` / `Snapshot`).

use super::FigureError;
use super::scene::{Align, Rgba, Scene, TextSpec, fit, wrap};
use super::style;
use crate::analysis::{Snapshot, Timeline, analyze, narrate};
use crate::check::Invariant;
use crate::dax::{dax_is_locked, dax_is_pmd_entry, decode_entry};
use crate::kernel::TaskState;
use crate::mm::{PMD_SHIFT, PMD_SIZE, PmdSlot};
use crate::radix::{Item, NodeView, SlotView};
use crate::scenario::Scenario;
use crate::sim::Tid;
use crate::trace::{EventKind, Trace, entry_str};
use std::collections::BTreeSet;

/// Where in a trace to show the state.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StateAt {
    /// As the workbench's "go to step N": right after the first event of step N.
    Step(u32),
    /// After the first P events (the workbench's "event P of M").
    Event(usize),
}

const MARGIN: i32 = 20;
const CELL_W: i32 = 74;
const CELL_H: i32 = 30;
const TREE_W: i32 = CELL_W * 8;
const RIGHT_X: i32 = MARGIN + TREE_W + 40;
const RIGHT_W: i32 = 520;
const WIDTH: i32 = RIGHT_X + RIGHT_W + MARGIN;

struct View<'a> {
    trace: &'a Trace,
    sc: Scenario,
    names: Vec<String>,
    pos: usize,
    snap: Snapshot,
    /// First indices of entries the event just run changed.
    changed: BTreeSet<u64>,
    /// The invariant the event just run violated, and the address it is about.
    bug: Option<(String, Option<u64>)>,
}

impl View<'_> {
    fn name(&self, t: Tid) -> String {
        self.names.get(t.index()).cloned().unwrap_or_else(|| format!("thread {}", t.0))
    }
}

/// Draws the state of `trace` at `at`.
pub fn state(trace: &Trace, at: StateAt) -> Result<Scene, FigureError> {
    let sc = trace.scenario().map_err(|e| FigureError::Input(e.to_string()))?;
    let names = sc.thread_names();
    let timeline = Timeline::new(&sc, trace.kernel, trace.events.clone());
    let pos = resolve(trace, &timeline, at)?;
    let prev = timeline.after_events(pos.saturating_sub(1));
    let mut snap = prev.clone();
    let mut changed = BTreeSet::new();
    if let Some(e) = pos.checked_sub(1).map(|i| &trace.events[i]) {
        snap.apply(e);
        if let Some(i) = e.kind.touched_index() {
            let (a, b) = (prev.tree.lookup(i), snap.tree.lookup(i));
            changed.extend(a.iter().chain(b.iter()).map(|f| f.first_index));
        }
    }
    let bug = pos.checked_sub(1).and_then(|i| match &trace.events[i].kind {
        EventKind::Bug { invariant } => {
            let addr = match invariant {
                Invariant::PteUnderHugePmd { addr, .. } | Invariant::HugePmdOverPteTable { addr } => Some(*addr),
                Invariant::PteWalkOnNonePmd { addr } => Some(*addr),
                _ => None,
            };
            Some((invariant.to_string(), addr))
        }
        _ => None,
    });
    let v = View { trace, sc, names, pos, snap, changed, bug };
    let mut s = Scene::new(WIDTH as u32, 100);
    let top = title(&mut s, &v);
    let left = tree(&mut s, &v, top);
    let mut right = locks(&mut s, &v, top);
    right = threads(&mut s, &v, right + 16);
    right = page_tables(&mut s, &v, right + 16);
    if let Some((what, _)) = &v.bug {
        right = bug_note(&mut s, what, right + 8);
    }
    s.height = (left.max(right) + MARGIN) as u32;
    Ok(s)
}

fn resolve(trace: &Trace, tl: &Timeline, at: StateAt) -> Result<usize, FigureError> {
    let n = trace.events.len();
    match at {
        StateAt::Event(p) if p <= n => Ok(p),
        StateAt::Event(p) => Err(FigureError::Input(format!("event {p} is beyond the trace's {n} events"))),
        StateAt::Step(step) => {
            let last = trace.events.last().map_or(0, |e| e.step);
            if step > last {
                return Err(FigureError::Input(format!(
                    "step {step} is beyond the trace's last step {last} (it has {} steps)",
                    trace.steps
                )));
            }
            Ok(tl.pos_of_step(step))
        }
    }
}

fn title(s: &mut Scene, v: &View) -> i32 {
    let t = v.trace;
    let w = WIDTH - 2 * MARGIN;
    let step = v.pos.checked_sub(1).map_or(0, |i| t.events[i].step);
    let head = format!("{} — {}: the state at step {step}", t.scenario, t.kernel.describe());
    s.text((MARGIN, MARGIN), head, &TextSpec::new(19.0, style::INK).bold());
    let sub = format!(
        "after event {} of {} (the workbench's cursor at \"step {step} · event {}\")",
        v.pos,
        t.events.len(),
        v.pos
    );
    s.text((MARGIN, MARGIN + 27), sub, &TextSpec::new(12.0, style::MUTED));
    let mut y = MARGIN + 48;
    let spec = TextSpec::new(13.5, style::INK);
    let sentences = narrate(&t.events, &analyze(&t.events), &v.names);
    let line = match v.pos.checked_sub(1) {
        None => format!("Nothing has run yet: {}.", v.sc.description),
        Some(i) => format!("Just run (step {step}, {}): {}", v.name(t.events[i].tid), sentences[i]),
    };
    for l in wrap(&line, w, &spec) {
        s.text((MARGIN, y), l, &spec);
        y += 18;
    }
    if let Some(next) = t.events[v.pos..].iter().position(crate::analysis::worth_telling).map(|k| v.pos + k) {
        let spec = TextSpec::new(12.0, style::MUTED);
        let line = format!("Next (step {}): {}", t.events[next].step, sentences[next]);
        s.text((MARGIN, y), fit(&line, w, &spec), &spec);
        y += 18;
    }
    s.line((MARGIN, y + 6), (WIDTH - MARGIN, y + 6), style::FAINT, 1);
    y + 18
}

fn section(s: &mut Scene, x: i32, y: i32, text: &str) -> i32 {
    s.text((x, y), text, &TextSpec::new(15.0, style::INK).bold());
    y + 24
}

fn tree(s: &mut Scene, v: &View, y: i32) -> i32 {
    let mut y = section(s, MARGIN, y, "Radix tree (mapping->page_tree)");
    let holder = v.snap.tree_lock.map_or("free".to_string(), |t| format!("held by {}", v.name(t)));
    let line = format!("nrexceptional {} · nrpages {} · tree_lock {holder}", v.snap.nrexceptional, v.snap.nrpages);
    s.text((MARGIN, y), line, &TextSpec::new(12.5, style::INK));
    y += 22;
    let nodes = v.snap.tree.view();
    if let Some(item) = v.snap.tree.root_item() {
        let text = format!("the root holds one entry directly: {}", entry_str(item));
        s.text((MARGIN, y), text, &TextSpec::new(12.5, style::INK).mono());
        y += 22;
    }
    if nodes.is_empty() && v.snap.tree.root_item().is_none() {
        s.text((MARGIN, y), "(empty: no entry yet)", &TextSpec::new(12.5, style::MUTED));
        y += 22;
    }
    for n in &nodes {
        y = node(s, v, n, y) + 12;
    }
    y
}

fn node(s: &mut Scene, v: &View, n: &NodeView, y: i32) -> i32 {
    let last = n.first_index + (64u64 << n.shift) - 1;
    let head = format!(
        "node #{} · shift {} · indices {:#x}–{last:#x} · {} slot(s) used, {} exceptional · each slot covers {} ind{}",
        n.serial,
        n.shift,
        n.first_index,
        n.count,
        n.exceptional,
        1u64 << n.shift,
        if n.shift == 0 { "ex" } else { "ices" }
    );
    let spec = TextSpec::new(11.0, style::MUTED);
    s.text((MARGIN, y), fit(&head, TREE_W, &spec), &spec);
    let top = y + 18;
    for row in 0..8 {
        let mut col = 0;
        while col < 8 {
            let off = row * 8 + col;
            let run = sibling_run(&n.slots, off, 8 - col);
            let x0 = MARGIN + col as i32 * CELL_W;
            let y0 = top + row as i32 * CELL_H;
            let first = n.first_index + ((off as u64) << n.shift);
            cell(s, v, (x0 + 2, y0 + 2), (x0 + CELL_W * run as i32 - 2, y0 + CELL_H - 2), n, off, run, first);
            col += run;
        }
    }
    top + 8 * CELL_H
}

/// How many slots from `off` form one entry: the canonical slot and its siblings.
fn sibling_run(slots: &[SlotView], off: usize, max: usize) -> usize {
    if !matches!(slots[off], SlotView::Item(_)) {
        return 1;
    }
    1 + slots[off + 1..off + max].iter().take_while(|s| **s == SlotView::Sibling(off as u8)).count()
}

#[allow(clippy::too_many_arguments)]
fn cell(s: &mut Scene, v: &View, a: (i32, i32), b: (i32, i32), n: &NodeView, off: usize, run: usize, first: u64) {
    let mid = ((a.0 + b.0) / 2, a.1 + 7);
    let mono = TextSpec::new(10.5, style::INK).mono().align(Align::Center);
    match n.slots[off] {
        SlotView::Empty => {
            s.rect(a, b, Rgba::rgb(0xef, 0xf0, 0xf3));
            s.text((a.0 + 3, a.1 + 2), off.to_string(), &TextSpec::new(8.5, style::MUTED));
        }
        SlotView::Node(serial) => {
            s.rect(a, b, Rgba::rgb(0xdc, 0xe7, 0xf7));
            s.text(mid, format!("→ node #{serial}"), &mono);
        }
        SlotView::Sibling(c) => {
            s.rect(a, b, style::PMD_FILL);
            s.text(mid, format!("sibling→{c}"), &TextSpec::new(9.5, style::MUTED).align(Align::Center));
        }
        SlotView::Item(item) => entry_cell(s, v, a, b, item, run, n.shift, first),
    }
}

#[allow(clippy::too_many_arguments)]
fn entry_cell(s: &mut Scene, v: &View, a: (i32, i32), b: (i32, i32), item: Item, run: usize, shift: u32, first: u64) {
    let mid = ((a.0 + b.0) / 2, a.1 + 7);
    let (fill, text, locked) = match item {
        Item::Exceptional(e) => {
            let fill = if dax_is_pmd_entry(e) { style::PMD_FILL } else { style::PTE_FILL };
            let covers = (run as u64) << shift;
            let text = if run > 1 {
                format!("{e:#x} = {} · covers {first:#x}–{:#x}", decode_entry(e), first + covers - 1)
            } else {
                format!("{e:#x}")
            };
            (fill, text, dax_is_locked(e))
        }
        Item::Page(p) => (style::PAGE_FILL, format!("page#{p}"), false),
    };
    s.rect(a, b, fill);
    let spec = TextSpec::new(if run > 1 { 11.0 } else { 10.5 }, style::INK).mono().align(Align::Center);
    s.text(mid, fit(&text, b.0 - a.0 - 6, &spec), &spec);
    if locked {
        s.frame(a, b, style::TREE_LOCK, 3);
    }
    if v.changed.contains(&first) {
        s.frame((a.0 - 2, a.1 - 2), (b.0 + 2, b.1 + 2), style::CHANGED, 2);
    }
}

fn line(s: &mut Scene, y: &mut i32, text: String, color: Rgba) {
    let spec = TextSpec::new(12.5, color);
    for l in wrap(&text, RIGHT_W, &spec) {
        s.text((RIGHT_X, *y), l, &spec);
        *y += 17;
    }
}

fn locks(s: &mut Scene, v: &View, y: i32) -> i32 {
    let mut y = section(s, RIGHT_X, y, "Locks and waits");
    let holder = v.snap.tree_lock.map_or("free".to_string(), |t| format!("held by {}", v.name(t)));
    line(
        s,
        &mut y,
        format!("tree_lock (spin_lock_irq): {holder}"),
        if v.snap.tree_lock.is_some() { style::TREE_LOCK } else { style::INK },
    );
    let locked: Vec<String> = v
        .snap
        .tree
        .entries()
        .into_iter()
        .filter_map(|(f, _)| match f.item {
            Item::Exceptional(e) if dax_is_locked(e) => {
                let last = f.first_index + (1u64 << f.order) - 1;
                let range = if f.order == 0 {
                    format!("{:#x}", f.first_index)
                } else {
                    format!("{:#x}–{last:#x}", f.first_index)
                };
                Some(format!("DAX entry {range} is locked: {}", entry_str(f.item)))
            }
            _ => None,
        })
        .collect();
    if locked.is_empty() {
        line(s, &mut y, "no DAX entry is locked".into(), style::MUTED);
    }
    for l in locked {
        line(s, &mut y, l, style::ENTRY_LOCK);
    }
    for (page, t) in &v.snap.page_locks {
        line(s, &mut y, format!("hole page#{page} locked by {}", v.name(*t)), style::ENTRY_LOCK);
    }
    let sleepers: Vec<_> = v.snap.waiters.iter().flat_map(|(b, q)| q.iter().map(move |w| (*b, w))).collect();
    if sleepers.is_empty() {
        line(s, &mut y, "wait table: nobody sleeps".into(), style::MUTED);
    }
    for (bucket, w) in sleepers {
        let text = format!("wait-table bucket {bucket}: {} sleeps on entry {:#x}", v.name(w.tid), w.key.index);
        line(s, &mut y, text, style::MUTED);
    }
    y
}

fn threads(s: &mut Scene, v: &View, y: i32) -> i32 {
    let mut y = section(s, RIGHT_X, y, "Threads");
    for (i, t) in v.snap.tasks.iter().enumerate() {
        let state = match t.state {
            TaskState::Running => "running",
            TaskState::Uninterruptible => "asleep (TASK_UNINTERRUPTIBLE)",
        };
        let off = if t.preempt_count > 0 { " (preemption off)" } else { "" };
        let text = format!(
            "{}: preempt_count {}{off} · preload pool {} node(s) · {state}",
            v.name(Tid(i as u8)),
            t.preempt_count,
            t.preload_nr
        );
        line(s, &mut y, text, style::thread(i));
    }
    y
}

fn page_tables(s: &mut Scene, v: &View, y: i32) -> i32 {
    let mut y = section(s, RIGHT_X, y, "Page tables");
    for (mm, pt) in v.snap.mms.iter().enumerate() {
        let Some(p) = v.sc.processes.get(mm) else { continue };
        let head =
            format!("process {mm} ({}): nr_ptes {}, rss file {} anon {}", p.name, pt.nr_ptes, pt.rss[0], pt.rss[1]);
        line(s, &mut y, head, style::INK);
        let base = v.sc.map_base(p);
        let last = (base + v.sc.map_length(p).max(1) - 1) >> PMD_SHIFT;
        for (k, pmd) in ((base >> PMD_SHIFT)..=last).enumerate() {
            if k == 8 {
                line(s, &mut y, format!("… {} more PMD slots", last - pmd + 1), style::MUTED);
                break;
            }
            y = pmd_slot(s, v, pmd, pt.pmds.get(&pmd), y);
        }
        y += 6;
    }
    y
}

fn pmd_slot(s: &mut Scene, v: &View, pmd: u64, slot: Option<&PmdSlot>, y: i32) -> i32 {
    let addr = pmd << PMD_SHIFT;
    let range = format!("{addr:#x}–{:#x}", addr + PMD_SIZE - 1);
    let (text, fill) = match slot {
        None => (format!("PMD {range}: none"), Rgba::rgb(0xef, 0xf0, 0xf3)),
        Some(PmdSlot::HugeDevmap { pfn, write, dirty, by }) => (
            format!(
                "PMD {range}: HUGE devmap → pfn {pfn:#x} ({}{}) by {}",
                if *write { "rw" } else { "ro" },
                if *dirty { ", dirty" } else { "" },
                v.name(*by)
            ),
            style::PMD_FILL,
        ),
        Some(PmdSlot::HugeZero { by }) => (format!("PMD {range}: huge ZERO page, by {}", v.name(*by)), style::PMD_FILL),
        Some(PmdSlot::Table { serial, ptes }) => {
            (format!("PMD {range}: PTE table #{serial} with {} PTE(s)", ptes.len()), style::PTE_FILL)
        }
    };
    let spec = TextSpec::new(11.0, style::INK).mono();
    s.rect((RIGHT_X, y), (RIGHT_X + RIGHT_W, y + 22), fill);
    s.text((RIGHT_X + 6, y + 5), fit(&text, RIGHT_W - 12, &spec), &spec);
    if v.bug.as_ref().and_then(|b| b.1).is_some_and(|a| a >> PMD_SHIFT == pmd) {
        s.frame((RIGHT_X - 2, y - 2), (RIGHT_X + RIGHT_W + 2, y + 24), style::BUG, 3);
    }
    let mut y = y + 26;
    if let Some(PmdSlot::Table { ptes, .. }) = slot {
        for (idx, p) in ptes.iter().take(12) {
            let a = addr + (u64::from(*idx) << 12);
            let rw = if p.write { "rw" } else { "ro" };
            let text = format!("    PTE {a:#x} → pfn {:#x} ({rw}{})", p.pfn, if p.dirty { ", dirty" } else { "" });
            s.text((RIGHT_X, y), text, &spec);
            y += 16;
        }
    }
    y
}

fn bug_note(s: &mut Scene, what: &str, y: i32) -> i32 {
    let spec = TextSpec::new(12.5, Rgba::rgb(255, 255, 255)).bold();
    let lines = wrap(&format!("BUG: {what}"), RIGHT_W - 16, &spec);
    let h = lines.len() as i32 * 17 + 10;
    s.rect((RIGHT_X, y), (RIGHT_X + RIGHT_W, y + h), style::BUG);
    for (k, l) in lines.into_iter().enumerate() {
        s.text((RIGHT_X + 8, y + 5 + k as i32 * 17), l, &spec);
    }
    y + h
}
