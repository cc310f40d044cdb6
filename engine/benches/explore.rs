//! Exhaustive exploration of `seed-race` (both variants, preemption bound 2): executions
//! per second and scheduling steps per second.
//!
//! cargo bench -p daxlab --bench explore

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use daxlab::Kernel;
use daxlab::explore::{ExploreConfig, explore};
use daxlab::scenario::builtin;
use std::hint::black_box;

fn seed_race_both_variants(c: &mut Criterion) {
    let sc = builtin("seed-race").expect("built-in").expect("loads");
    let run = || {
        [Kernel::UNFIXED, Kernel::FIXED].map(|kernel| {
            let cfg = ExploreConfig::exhaustive(kernel, 2);
            explore(&sc, &cfg, &mut |_| {})
        })
    };
    let reports = run();
    let executions: u64 = reports.iter().map(|r| r.executions).sum();
    let steps: u64 = reports.iter().map(|r| r.steps).sum();

    let mut group = c.benchmark_group("seed-race exhaustive bound 2, both variants");
    group.sample_size(20);
    group.throughput(Throughput::Elements(executions));
    group.bench_function("executions", |b| b.iter(|| black_box(run())));
    group.throughput(Throughput::Elements(steps));
    group.bench_function("scheduling steps", |b| b.iter(|| black_box(run())));
    group.finish();
}

criterion_group!(benches, seed_race_both_variants);
criterion_main!(benches);
