//! Frame times and open time on a trace of about a million events. Ignored by default (it
//! takes a while in debug builds); run it with
//!
//! ```sh
//! cargo test --release -p daxlab-gui --test perf -- --ignored --nocapture
//! ```
//!
//! A frame is measured as egui_kittest runs it (the whole UI built and painted into
//! shapes) plus tessellation, which is the CPU work of a real frame short of the GPU
//! upload. Numbers are printed, never asserted.

use daxlab::Kernel;
use daxlab::Scenario;
use daxlab::scenario::{RunConfig, execute};
use daxlab::sim::RandomScheduler;
use daxlab::trace::{RecordMode, Trace};
use daxlab_gui::model::Loaded;
use daxlab_gui::panels::timeline::TimelineView;
use daxlab_gui::{Action, Workbench};
use egui_kittest::Harness;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A stress workload: `threads` threads of one process each storing to `stores` pages of a
/// DAX file without huge pages (every store a 4 KiB fault), with neighbouring threads
/// sharing every fourth page so that they meet on entries and tree_lock.
pub fn stress_scenario(threads: usize, stores: usize) -> String {
    let pages = threads * stores;
    let mib = (pages * 4096).div_ceil(1 << 20) + 1;
    let mut s = format!(
        "name = \"stress-1m\"\ndescription = \"{threads} threads x {stores} stores, 4 KiB faults\"\nthp = \"never\"\n\n[file]\nsize = \"{mib}MiB\"\n\n[[process]]\nname = \"stress\"\nmmap = {{ shared = true }}\n"
    );
    for t in 0..threads {
        let _ = write!(s, "\n[[process.thread]]\nname = \"T{}\"\nops = [\n", t + 1);
        for i in 0..stores {
            let page = if i % 4 == 3 { (i * threads + (t + 1) % threads) as u64 } else { (i * threads + t) as u64 };
            let _ = writeln!(s, "  {{ op = \"store\", at = {:#x}, value = {:#x} }},", page * 4096 + 0x100, i + 1);
        }
        s.push_str("]\n");
    }
    s
}

/// Generates (once) and returns the path of a trace of about a million events.
pub fn million_event_trace() -> PathBuf {
    let path = std::env::temp_dir().join("daxlab-gui-1m.daxtrace");
    if Trace::load(&path).is_ok_and(|t| (1_000_000..1_200_000).contains(&t.events.len())) {
        return path;
    }
    let sc = Scenario::from_toml(&stress_scenario(4, 2700), "perf stress").expect("the stress scenario parses");
    let cfg = RunConfig { max_steps: 10_000_000, ..RunConfig::new(Kernel::UNFIXED) };
    let started = Instant::now();
    let ex = execute(&sc, &cfg, &mut RandomScheduler::new(42));
    let mode = RecordMode::Explored { strategy: "random".into(), bound: None, seed: Some(42) };
    let trace = Trace::from_execution(&sc, Kernel::UNFIXED, mode, &ex);
    trace.save(&path).expect("the temp dir is writable");
    println!(
        "generated {} events, {} steps, outcome {} in {:.2} s → {}",
        trace.events.len(),
        trace.steps,
        trace.outcome.class(),
        started.elapsed().as_secs_f64(),
        path.display()
    );
    path
}

fn frame(h: &mut Harness<'_, Workbench>) -> Duration {
    let t = Instant::now();
    h.step();
    let out = h.output();
    let (shapes, ppp) = (out.shapes.clone(), out.pixels_per_point);
    let _ = h.ctx.tessellate(shapes, ppp);
    t.elapsed()
}

fn report(what: &str, mut d: Vec<Duration>) {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1e3;
    let mean = d.iter().map(|x| ms(*x)).sum::<f64>() / d.len() as f64;
    let p95 = d[(d.len() * 95 / 100).min(d.len() - 1)];
    println!(
        "{what:<44} frames {:>4}  mean {mean:>6.2} ms  p95 {:>6.2} ms  max {:>6.2} ms",
        d.len(),
        ms(p95),
        ms(d[d.len() - 1])
    );
}

fn open(path: &Path) -> (Loaded, Duration) {
    let t = Instant::now();
    let doc = Loaded::open(path).expect("the generated trace opens");
    (doc, t.elapsed())
}

#[test]
#[ignore = "slow: generates a million-event trace; run with --ignored --nocapture"]
fn frame_times_on_a_million_event_trace() {
    let path = million_event_trace();
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let (doc, took) = open(&path);
    let (_, again) = open(&path);
    open_phases(&path);
    println!("open: {} events ({} MB) in {:.0} ms (again {:.0} ms)", doc.len(), bytes >> 20, ms(took), ms(again));
    let n = doc.len();
    state_at_cursor(&doc);
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .with_context_setup(daxlab_gui::setup_context)
        .build_ui_state(|ui, app: &mut Workbench| app.draw(ui), Workbench::with_doc(doc));
    for _ in 0..3 {
        frame(&mut h);
    }
    stepping(&mut h, n);
    scrolling(&mut h, n);
}

/// Where opening spends its time.
fn open_phases(path: &Path) {
    let t = Instant::now();
    let trace = Trace::load(path).expect("loads");
    let load = t.elapsed();
    let sc = trace.scenario().expect("parses");
    let t = Instant::now();
    let analysis = daxlab::analysis::analyze(&trace.events);
    let analyze = t.elapsed();
    let t = Instant::now();
    let _ = daxlab_gui::model::index::TraceIndex::build(&trace.events, &analysis, 4, &[]);
    let index = t.elapsed();
    let t = Instant::now();
    let _ = daxlab_gui::model::calls::CallIndex::build(&trace.events, 4);
    let calls = t.elapsed();
    let t = Instant::now();
    let _ = daxlab::analysis::Timeline::new(&sc, trace.kernel, trace.events);
    let timeline = t.elapsed();
    println!(
        "open phases: read+decode+validate {:.0} ms, analyze {:.0} ms, index {:.0} ms, call stacks {:.0} ms, engine timeline {:.0} ms",
        ms(load),
        ms(analyze),
        ms(index),
        ms(calls),
        ms(timeline)
    );
}

/// The work a cursor move costs outside the UI: the engine's state after the event (and
/// before it), the call stacks, the tree's nodes.
fn state_at_cursor(doc: &Loaded) {
    let n = doc.len();
    let mut parts = [Duration::ZERO; 4];
    let k = 200;
    for j in 0..k {
        let pos = (j * 7919 * 131) % n;
        let t = Instant::now();
        let s = doc.state_after(pos);
        parts[0] += t.elapsed();
        let t = Instant::now();
        let _ = doc.calls.at(doc.events(), pos);
        parts[1] += t.elapsed();
        let t = Instant::now();
        let _ = s.tree.view();
        parts[2] += t.elapsed();
        let t = Instant::now();
        let _ = daxlab_gui::cache::Cached::compute(doc, pos, 0);
        parts[3] += t.elapsed();
    }
    let each = |d: Duration| ms(d) / k as f64;
    println!(
        "per cursor move: engine state {:.2} ms, call stacks {:.2} ms, tree nodes {:.2} ms, all of it {:.2} ms",
        each(parts[0]),
        each(parts[1]),
        each(parts[2]),
        each(parts[3])
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn stepping(h: &mut Harness<'_, Workbench>, n: usize) {
    h.state_mut().apply(Action::Goto(n / 2));
    frame(h);
    let d = (0..50).map(|_| frame(h)).collect();
    report("idle frame in the middle of the trace", d);
    let mut d = Vec::new();
    for _ in 0..200 {
        h.key_press(egui::Key::ArrowRight);
        d.push(frame(h));
    }
    report("step forward (→) in the middle", d);
    let mut d = Vec::new();
    for _ in 0..200 {
        h.key_press(egui::Key::ArrowLeft);
        d.push(frame(h));
    }
    report("step back (←) in the middle", d);
    let mut d = Vec::new();
    let mut x = 12345usize;
    for _ in 0..100 {
        x = (x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407)) % n;
        h.state_mut().apply(Action::Goto(x));
        d.push(frame(h));
    }
    report("jump to a random event", d);
    let mut d = Vec::new();
    for k in [egui::Key::End, egui::Key::Home, egui::Key::End, egui::Key::Home] {
        h.key_press(k);
        d.push(frame(h));
    }
    report("End / Home", d);
}

fn scrolling(h: &mut Harness<'_, Workbench>, n: usize) {
    for (what, len) in [
        ("scroll the timeline, 240 events in view", 240.0),
        ("scroll the timeline, 20k events in view", 20_000.0),
        ("scroll the timeline, whole trace in view", n as f64),
    ] {
        h.state_mut().view = TimelineView { start: n as f64 * 0.3, len };
        frame(h);
        let mut d = Vec::new();
        for _ in 0..100 {
            let v = &mut h.state_mut().view;
            v.start += v.len * 0.03;
            d.push(frame(h));
        }
        report(what, d);
    }
    let mut d = Vec::new();
    h.state_mut().view = TimelineView { start: n as f64 / 2.0, len: 50.0 };
    for _ in 0..60 {
        h.state_mut().view.len *= 1.25;
        d.push(frame(h));
    }
    report("zoom out from 50 events to the whole trace", d);
}
