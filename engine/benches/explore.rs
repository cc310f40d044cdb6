//! Exhaustive exploration.
//!
//! - `seed-race exhaustive bound 2, both variants` (both kernels): the executor's own speed, executions
//!   and scheduling steps per second, unreduced on one thread (as this bench always
//!   measured it).
//! - `targets`: issue 14's targets, each for both kernels of the seed race (v4.11-rc5 and
//!   v4.11), with partial-order reduction on every core and on one: three threads writing
//!   one 2 MiB hole (holetest-3) at bound 3, preload-enomem at bound 2, seed-race at bound 4.
//!
//! cargo bench -p daxlab --bench explore
//! cargo bench -p daxlab --bench explore -- targets

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use daxlab::Kernel;
use daxlab::explore::{ExploreConfig, ExploreReport, Reduction, all_cores, explore};
use daxlab::scenario::builtin;
use std::hint::black_box;
use std::time::Duration;

fn both_kernels(name: &str, bound: u32, reduction: Reduction, jobs: usize) -> [ExploreReport; 2] {
    let sc = builtin(name).expect("built-in").expect("loads");
    [Kernel::UNFIXED, Kernel::FIXED].map(|kernel| {
        let cfg = ExploreConfig { reduction, jobs, ..ExploreConfig::exhaustive(kernel, bound) };
        explore(&sc, &cfg, &mut |_| {})
    })
}

fn seed_race_both_kernels(c: &mut Criterion) {
    let run = || both_kernels("seed-race", 2, Reduction::None, 1);
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

fn targets(c: &mut Criterion) {
    let mut group = c.benchmark_group("targets");
    group.sample_size(10).warm_up_time(Duration::from_millis(500));
    for (name, bound) in [("holetest-3", 3), ("preload-enomem", 2), ("seed-race", 4)] {
        for (label, jobs) in [("all cores", all_cores()), ("one core", 1)] {
            let id = format!("{name} bound {bound} both kernels dpor, {label}");
            group.bench_function(id, |b| b.iter(|| black_box(both_kernels(name, bound, Reduction::Dpor, jobs))));
        }
    }
    group.finish();
}

criterion_group!(benches, seed_race_both_kernels, targets);
criterion_main!(benches);
