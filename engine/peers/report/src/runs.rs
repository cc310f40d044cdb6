//! The measurements: each tool's search of the seed race, timed in this process, with the
//! median over repeated runs after one warm-up run.

use daxlab::Kernel;
use daxlab::explore::{ExploreConfig, ExploreReport, Reduction, explore};
use daxlab::scenario::Scenario;
use std::time::Duration;

/// One line of the table.
pub struct Row {
    pub kernel: Variant,
    pub search: String,
    pub tool: &'static str,
    pub executions: String,
    pub time: String,
    /// CPU time of the search (the median, for repeated runs).
    pub cpu: String,
    /// Mean CPU time of one execution.
    pub time_per_execution: String,
    pub ops_per_execution: String,
    pub result: String,
}

pub const DAXLAB: &str = "daxlab";
pub const LOOM: &str = "loom 0.7.3";
pub const SHUTTLE: &str = "shuttle 0.8.1";

/// Wall times of repeated runs of one search, and the median CPU time of the process.
pub struct Timing {
    pub median: Duration,
    pub min: Duration,
    pub max: Duration,
    pub cpu: Duration,
}

/// CPU time of this process so far: on a shared machine, a single-threaded search's CPU
/// time is what its wall time would be on an idle one.
pub fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `search` and returns its result, the wall time it reports and the CPU time used.
pub fn with_cpu_time<T>(search: impl FnOnce() -> (T, Duration)) -> (T, Duration, Duration) {
    let before = process_cpu_time();
    let (result, wall) = search();
    (result, wall, process_cpu_time().saturating_sub(before))
}

impl Timing {
    pub fn once(wall: Duration, cpu: Duration) -> Self {
        Timing { median: wall, min: wall, max: wall, cpu }
    }

    /// The median, and the range when the runs differ.
    pub fn show(&self) -> String {
        if self.min == self.max {
            fmt_time(self.median)
        } else {
            format!("{} ({}–{})", fmt_time(self.median), fmt_time(self.min), fmt_time(self.max))
        }
    }
}

/// Runs `search` once to warm up, then `runs` times; returns the last result and the
/// durations each run reports.
pub fn median_of<T>(runs: usize, mut search: impl FnMut() -> (T, Duration)) -> (T, Timing) {
    let _ = search();
    let mut times = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let (result, elapsed, used) = with_cpu_time(&mut search);
        times.push(elapsed);
        cpu.push(used);
        last = Some(result);
    }
    times.sort();
    cpu.sort();
    let timing =
        Timing { median: times[times.len() / 2], min: times[0], max: times[times.len() - 1], cpu: cpu[cpu.len() / 2] };
    (last.expect("at least one run"), timing)
}

pub fn fmt_time(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 1.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.3} ms")
    }
}

pub fn time_per_execution(t: Duration, executions: u64) -> String {
    if executions == 0 { "-".into() } else { format!("{:.1} µs", t.as_secs_f64() * 1e6 / executions as f64) }
}

pub fn per_execution(total: u64, executions: u64) -> String {
    if executions == 0 { "-".into() } else { format!("{:.1}", total as f64 / executions as f64) }
}

/// The seed race's two kernels, v4.11-rc5 and v4.11, as the port names them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Variant {
    Unfixed,
    Fixed,
}

impl Variant {
    pub fn kernel(self) -> Kernel {
        match self {
            Variant::Unfixed => Kernel::UNFIXED,
            Variant::Fixed => Kernel::FIXED,
        }
    }
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.kernel().fmt(f)
    }
}

/// daxlab with its partial-order reduction, on one thread as loom and shuttle run.
fn daxlab_search(sc: &Scenario, variant: Variant, bound: u32, cap: Option<u64>) -> ExploreReport {
    let cfg = ExploreConfig {
        max_executions: cap,
        reduction: Reduction::Dpor,
        jobs: 1,
        ..ExploreConfig::exhaustive(variant.kernel(), bound)
    };
    explore(sc, &cfg, &mut |_| {})
}

fn has_failure(report: &ExploreReport) -> bool {
    report.failures().next().is_some()
}

/// The number of executions daxlab's exhaustive search runs up to and including its first
/// failing one: the least cap under which `explore` reports a failure (found by doubling,
/// then bisection, so that it stays right whatever order `explore` searches in).
fn daxlab_executions_to_failure(sc: &Scenario, bound: u32) -> Option<u64> {
    let mut hi = 1;
    loop {
        let report = daxlab_search(sc, Variant::Unfixed, bound, Some(hi));
        if has_failure(&report) {
            break;
        }
        if report.complete {
            return None;
        }
        hi *= 2;
    }
    let mut lo = hi / 2; // no failure within `lo` executions
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if has_failure(&daxlab_search(sc, Variant::Unfixed, bound, Some(mid))) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

pub fn daxlab_first_failure(sc: &Scenario, bound: u32, runs: usize) -> Row {
    let search = format!("first failure, preemption bound {bound}");
    let Some(n) = daxlab_executions_to_failure(sc, bound) else {
        return Row {
            kernel: Variant::Unfixed,
            search,
            tool: DAXLAB,
            executions: "-".into(),
            time: "-".into(),
            cpu: "-".into(),
            time_per_execution: "-".into(),
            ops_per_execution: "-".into(),
            result: "no failure found".into(),
        };
    };
    let (report, t) = median_of(runs, || {
        let r = daxlab_search(sc, Variant::Unfixed, bound, Some(n));
        let elapsed = r.elapsed;
        (r, elapsed)
    });
    let classes: Vec<String> = report.failure_classes().into_iter().collect();
    Row {
        kernel: Variant::Unfixed,
        search,
        tool: DAXLAB,
        executions: n.to_string(),
        time: t.show(),
        cpu: fmt_time(t.cpu),
        time_per_execution: time_per_execution(t.cpu, n),
        ops_per_execution: per_execution(report.steps, report.executions),
        result: classes.join(", "),
    }
}

pub fn daxlab_exhaust(sc: &Scenario, bound: u32, runs: usize) -> Row {
    let (report, t) = median_of(runs, || {
        let r = daxlab_search(sc, Variant::Fixed, bound, None);
        let elapsed = r.elapsed;
        (r, elapsed)
    });
    Row {
        kernel: Variant::Fixed,
        search: format!("exhaust preemption bound {bound}"),
        tool: DAXLAB,
        executions: report.executions.to_string(),
        time: t.show(),
        cpu: fmt_time(t.cpu),
        time_per_execution: time_per_execution(t.cpu, report.executions),
        ops_per_execution: per_execution(report.steps, report.executions),
        result: if has_failure(&report) { "failure (unexpected)".into() } else { "no failure".into() },
    }
}

/// What a peer search found, for the result column.
pub fn verdict(failure: &Option<String>, complete_if_none: bool) -> String {
    match failure {
        Some(msg) if msg.contains("installed through a huge PMD") => "bug(pte-under-huge-pmd)".into(),
        Some(msg) => format!("failure: {msg}"),
        None if complete_if_none => "no failure".into(),
        None => "no failure (not exhausted)".into(),
    }
}

pub fn loom_search(variant: Variant, bound: u32, runs: usize) -> Row {
    let port_variant = port_variant_loom(variant);
    let (out, t) = median_of(runs, || {
        let out = loom_seed::explore(port_variant, Some(bound as usize));
        let elapsed = out.elapsed;
        (out, elapsed)
    });
    Row {
        kernel: variant,
        search: match variant {
            Variant::Unfixed => format!("first failure, preemption bound {bound}"),
            Variant::Fixed => format!("exhaust preemption bound {bound}"),
        },
        tool: LOOM,
        executions: out.executions.to_string(),
        time: t.show(),
        cpu: fmt_time(t.cpu),
        time_per_execution: time_per_execution(t.cpu, out.executions),
        ops_per_execution: per_execution(out.ops, out.executions),
        result: verdict(&out.failure, true),
    }
}

/// loom's DPOR without a preemption bound: a complete search of the port, timed once.
pub fn loom_unbounded() -> Row {
    let (out, _, cpu) = with_cpu_time(|| {
        let out = loom_seed::explore(loom_seed::Variant::Fixed, None);
        let t = out.elapsed;
        (out, t)
    });
    Row {
        kernel: Variant::Fixed,
        search: "exhaust (no bound), timed once".into(),
        tool: LOOM,
        executions: out.executions.to_string(),
        time: fmt_time(out.elapsed),
        cpu: fmt_time(cpu),
        time_per_execution: time_per_execution(cpu, out.executions),
        ops_per_execution: per_execution(out.ops, out.executions),
        result: verdict(&out.failure, true),
    }
}

fn port_variant_loom(v: Variant) -> loom_seed::Variant {
    match v {
        Variant::Unfixed => loom_seed::Variant::Unfixed,
        Variant::Fixed => loom_seed::Variant::Fixed,
    }
}

pub fn port_variant_shuttle(v: Variant) -> shuttle_seed::Variant {
    match v {
        Variant::Unfixed => shuttle_seed::Variant::Unfixed,
        Variant::Fixed => shuttle_seed::Variant::Fixed,
    }
}
