//! Writes a trace of more than a million events: holetest on a 256 MiB hole with six
//! worker threads, interleaved at random. For performance work on trace I/O, replay and
//! the workbench.
//!
//! cargo run --release -p daxlab --example long_trace -- /tmp/long.daxtrace

use daxlab::Kernel;
use daxlab::scenario::{Holetest, HoletestFile};
use daxlab::scenario::{RunConfig, execute};
use daxlab::sim::RandomScheduler;
use daxlab::trace::{RecordMode, Trace};
use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: long_trace OUT.daxtrace");
        std::process::exit(2);
    };
    let sc =
        Holetest { size: 256 << 20, file: HoletestFile::Ftruncate, threads: 6, fork: false }.scenario().expect("valid");
    let started = Instant::now();
    let ex = execute(&sc, &RunConfig::new(Kernel::FIXED), &mut RandomScheduler::new(340));
    let trace = Trace::from_execution(
        &sc,
        Kernel::FIXED,
        RecordMode::Explored { strategy: "random".into(), bound: None, seed: Some(340) },
        &ex,
    );
    trace.save(std::path::Path::new(&path)).expect("writable");
    eprintln!(
        "{path}: {} events, {} steps, outcome {}, recorded in {:.2} s",
        ex.events.len(),
        ex.steps,
        ex.outcome,
        started.elapsed().as_secs_f64()
    );
}
