//! Trace I/O and replay on a trace of more than a million events (holetest, 256 MiB hole,
//! six workers, random interleaving): encode and decode throughput for both forms, and
//! replay throughput in events per second.
//!
//! cargo bench -p daxlab --bench trace

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use daxlab::Kernel;
use daxlab::scenario::{Holetest, HoletestFile};
use daxlab::scenario::{RunConfig, execute};
use daxlab::sim::RandomScheduler;
use daxlab::trace::{RecordMode, Trace, replay_trace};
use std::hint::black_box;

fn long_trace() -> (daxlab::Scenario, Trace) {
    let sc = Holetest { size: 256 << 20, file: HoletestFile::Ftruncate, threads: 6, fork: false }.scenario().unwrap();
    let ex = execute(&sc, &RunConfig::new(Kernel::FIXED), &mut RandomScheduler::new(340));
    let mode = RecordMode::Explored { strategy: "random".into(), bound: None, seed: Some(340) };
    let trace = Trace::from_execution(&sc, Kernel::FIXED, mode, &ex);
    (sc, trace)
}

fn trace_io(c: &mut Criterion) {
    let (sc, trace) = long_trace();
    let n = trace.events.len() as u64;
    assert!(n >= 1_000_000, "the long trace has {n} events");
    let bin = trace.encode_binary();
    let json = trace.encode_json();
    eprintln!(
        "{n} events: binary {} bytes ({:.1} B/event), JSON {} bytes ({:.1} B/event)",
        bin.len(),
        bin.len() as f64 / n as f64,
        json.len(),
        json.len() as f64 / n as f64
    );
    let mut g = c.benchmark_group("trace of 1M+ events");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function("encode binary", |b| b.iter(|| black_box(trace.encode_binary())));
    g.bench_function("decode binary", |b| b.iter(|| black_box(Trace::decode(&bin, "long").unwrap())));
    g.bench_function("encode json", |b| b.iter(|| black_box(trace.encode_json())));
    g.bench_function("decode json", |b| b.iter(|| black_box(Trace::decode(&json, "long").unwrap())));
    g.bench_function("replay and compare", |b| {
        b.iter(|| {
            let r = replay_trace(&trace, &sc, Kernel::FIXED, None);
            assert!(r.divergence.is_none());
            black_box(r)
        })
    });
    g.finish();
}

criterion_group!(benches, trace_io);
criterion_main!(benches);
