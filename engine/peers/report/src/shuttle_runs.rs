//! Shuttle's searches: depth-first (no preemption bound, so capped),
//! and the randomised PCT and uniform random schedulers, summarised over many seeds.

use crate::runs::{
    Row, SHUTTLE, Timing, fmt_time, median_of, per_execution, port_variant_shuttle, time_per_execution, verdict,
    with_cpu_time,
};
use crate::runs::Variant;
use shuttle_seed::Outcome;
use std::time::Duration;

/// Shuttle's DFS has no preemption bound: it is stopped after `cap` executions. A search
/// that hits the cap is timed once (it takes long); one that ends before it, as the median
/// of `runs` runs.
pub fn dfs(variant: Variant, cap: usize, runs: usize) -> Row {
    let v = port_variant_shuttle(variant);
    let (first, wall, cpu) = with_cpu_time(|| {
        let out = shuttle_seed::dfs(v, Some(cap));
        let t = out.elapsed;
        (out, t)
    });
    let exhausted = (first.executions as usize) < cap;
    let (out, t) = if first.failure.is_none() && !exhausted {
        (first, Timing::once(wall, cpu))
    } else {
        median_of(runs, || {
            let out = shuttle_seed::dfs(v, Some(cap));
            let t = out.elapsed;
            (out, t)
        })
    };
    let search = match variant {
        Variant::Unfixed => "first failure, DFS (no bound)",
        Variant::Fixed => "exhaust DFS (no bound)",
    };
    Row {
        kernel: variant,
        search: format!("{search}, stopped after {cap} executions"),
        tool: SHUTTLE,
        executions: out.executions.to_string(),
        time: t.show(),
        cpu: fmt_time(t.cpu),
        time_per_execution: time_per_execution(t.cpu, out.executions),
        ops_per_execution: per_execution(out.ops, out.executions),
        result: verdict(&out.failure, exhausted),
    }
}

/// Runs to the first failure from each of `seeds` seeds (each run capped at `cap`).
pub fn first_failure_over_seeds(name: &str, seeds: u64, cap: usize, mut search: impl FnMut(u64) -> Outcome) -> Row {
    let mut found = Vec::new();
    let mut ops = 0;
    let mut executions = 0;
    let mut elapsed = Duration::ZERO;
    let mut cpu = Duration::ZERO;
    for seed in 0..seeds {
        let (out, _, used) = with_cpu_time(|| {
            let out = search(seed);
            let t = out.elapsed;
            (out, t)
        });
        cpu += used;
        ops += out.ops;
        executions += out.executions;
        elapsed += out.elapsed;
        if out.failure.is_some() {
            found.push(out.executions);
        }
    }
    found.sort_unstable();
    let summary = if found.is_empty() {
        format!("none found within {cap} runs from each of {seeds} seeds")
    } else {
        let mean = found.iter().sum::<u64>() as f64 / found.len() as f64;
        format!(
            "median {}, mean {mean:.1}, max {} (over {} seeds)",
            found[found.len() / 2],
            found[found.len() - 1],
            seeds
        )
    };
    Row {
        kernel: Variant::Unfixed,
        search: format!("first failure, {name}"),
        tool: SHUTTLE,
        executions: summary,
        time: format!("{} per seed (mean)", fmt_time(elapsed / seeds.max(1) as u32)),
        cpu: format!("{} per seed (mean)", fmt_time(cpu / seeds.max(1) as u32)),
        time_per_execution: time_per_execution(cpu, executions),
        ops_per_execution: per_execution(ops, executions),
        result: format!("bug(pte-under-huge-pmd) from {}/{seeds} seeds", found.len()),
    }
}

pub fn pct_first_failure(depth: usize, seeds: u64, cap: usize) -> Row {
    let v = port_variant_shuttle(Variant::Unfixed);
    first_failure_over_seeds(&format!("PCT depth {depth}"), seeds, cap, |seed| shuttle_seed::pct(v, depth, seed, cap))
}

pub fn random_first_failure(seeds: u64, cap: usize) -> Row {
    let v = port_variant_shuttle(Variant::Unfixed);
    first_failure_over_seeds("uniform random", seeds, cap, |seed| shuttle_seed::random(v, seed, cap))
}

/// PCT on the fixed kernel: it can only fail to find a bug, never prove its absence.
pub fn pct_fixed(depth: usize, executions: usize) -> Row {
    let (out, _, cpu) = with_cpu_time(|| {
        let out = shuttle_seed::pct(port_variant_shuttle(Variant::Fixed), depth, 1, executions);
        let t = out.elapsed;
        (out, t)
    });
    Row {
        kernel: Variant::Fixed,
        search: format!("PCT depth {depth}, {executions} runs"),
        tool: SHUTTLE,
        executions: out.executions.to_string(),
        time: fmt_time(out.elapsed),
        cpu: fmt_time(cpu),
        time_per_execution: time_per_execution(cpu, out.executions),
        ops_per_execution: per_execution(out.ops, out.executions),
        result: verdict(&out.failure, false),
    }
}
