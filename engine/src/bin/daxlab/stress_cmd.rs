//! `daxlab stress holetest`: generic/340 in a loop on real threads.

use super::kernel_args::KernelArgs;
use daxlab::Kernel;
use daxlab::figure::{StressResults, StressRun, StressSample};
use daxlab::pmem::PmemBackend;
use daxlab::stress::{Generic340, Iteration, Race};
use daxlab::trace::{EventKind, Trace};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// xfstests generic/340: holetest -f at each size, three file variants each.
    Holetest,
}

#[derive(clap::Args)]
pub struct StressArgs {
    workload: Workload,
    /// The kernel (required: --kernel RELEASE or --variant unfixed|fixed).
    #[command(flatten)]
    kernel: KernelArgs,
    /// How many times to run generic/340.
    #[arg(long, default_value_t = 1)]
    iterations: u32,
    /// holetest file sizes in MiB, one holetest invocation each.
    #[arg(long, value_delimiter = ',', default_value = "1,16,256")]
    sizes: Vec<u64>,
    /// Worker threads per holetest (holetest's THREADS is 2).
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// holetest -F: forked processes with their own page tables (generic/345's shape).
    #[arg(long)]
    fork: bool,
    /// Persistent memory: a directory (a pmem file is created there), an existing file,
    /// or a DAX device (/dev/daxX.Y). Default: RAM.
    #[arg(long)]
    pmem: Option<PathBuf>,
    /// Chance (0 to 1) of a random short delay or yield at each scheduling point.
    #[arg(long, default_value_t = 0.0)]
    perturb: f64,
    /// Record every race; save the trace of each failing one in this directory.
    #[arg(long)]
    record: Option<PathBuf>,
    /// Seed for the perturbation decisions.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop at the first failing iteration.
    #[arg(long)]
    stop_on_failure: bool,
    /// Append this run (first failing iteration, faults per second after each iteration) to
    /// a results file that `daxlab figure stress` draws.
    #[arg(long)]
    results: Option<std::path::PathBuf>,
}

/// Totals over the iterations run.
#[derive(Default)]
struct Tally {
    iterations: u32,
    failures: u32,
    first_failure: Option<u32>,
    faults: u64,
    steps: u64,
    racing: Duration,
    checked: u64,
    lost: u64,
    classes: BTreeMap<String, (bool, u64)>,
    traces: Vec<String>,
    unsaved: Vec<String>,
    mismatches: Vec<String>,
}

impl Tally {
    fn faults_per_sec(&self) -> f64 {
        self.faults as f64 / self.racing.as_secs_f64().max(1e-9)
    }
}

fn check_args(args: &StressArgs) -> Result<(), String> {
    if !(0.0..=1.0).contains(&args.perturb) {
        return Err(format!("--perturb {}: give a probability from 0 to 1", args.perturb));
    }
    if !(1..=8).contains(&args.threads) {
        return Err(format!("--threads {}: give 1 to 8", args.threads));
    }
    if let Some(bad) = args.sizes.iter().find(|&&s| !(1..=512).contains(&s)) {
        return Err(format!("--sizes: {bad} MiB is outside 1..=512"));
    }
    if args.iterations == 0 {
        return Err("--iterations: give at least 1".into());
    }
    if let Some(dir) = &args.record {
        std::fs::create_dir_all(dir).map_err(|e| format!("--record {}: {e}", dir.display()))?;
    }
    Ok(())
}

pub fn run(args: StressArgs) -> Result<ExitCode, String> {
    check_args(&args)?;
    let kernel = args.kernel.required()?;
    let g = Generic340 {
        kernel,
        sizes_mib: args.sizes.clone(),
        threads: args.threads,
        fork: args.fork,
        perturb: args.perturb,
        seed: args.seed,
        record: args.record.is_some(),
    };
    let pmem = PmemBackend::open(args.pmem.as_deref(), g.pmem_need()).map_err(|e| e.to_string())?;
    if let Some(notice) = pmem.notice() {
        eprintln!("daxlab: {notice}");
    }
    print_header(&args, &g, &pmem);
    let bar = progress_bar(args.iterations);
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut first_failed: Option<Iteration> = None;
    let mut samples = Vec::new();
    for i in 1..=args.iterations {
        let it = g.run_iteration(i, &pmem);
        count(&mut tally, &it, args.record.as_deref(), kernel);
        samples
            .push(StressSample { t: started.elapsed().as_secs_f64(), faults_per_sec: iteration_faults_per_sec(&it) });
        bar.inc(1);
        bar.set_message(format!("{:.0} faults/s · {} failed", tally.faults_per_sec(), tally.failures));
        let failed = !it.passed;
        if failed && first_failed.is_none() {
            first_failed = Some(it);
        }
        if failed && args.stop_on_failure {
            break;
        }
    }
    bar.finish_and_clear();
    print_summary(&tally, started.elapsed());
    if let Some(path) = &args.results {
        let outcome = tally.classes.iter().find(|(_, (failed, _))| *failed).map(|(c, _)| c.clone());
        let run = StressRun {
            variant: kernel.label(),
            iterations: tally.iterations,
            first_failure: tally.first_failure,
            outcome,
            samples,
        };
        StressResults::append(path, "daxlab stress holetest (generic/340)", run).map_err(|e| e.to_string())?;
        println!("run appended to {}", path.display());
    }
    if let Some(it) = &first_failed {
        print_failed(it, &g.expected_output());
    }
    if tally.failures > 0 {
        println!("\nresult: {} of {} iterations failed (exit 1)", tally.failures, tally.iterations);
        Ok(ExitCode::from(1))
    } else {
        println!("\nresult: {} iterations, no failure (exit 0)", tally.iterations);
        Ok(ExitCode::SUCCESS)
    }
}

fn progress_bar(iterations: u32) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(u64::from(iterations)), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} iterations · {msg} · {elapsed}").expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn print_header(args: &StressArgs, g: &Generic340, pmem: &PmemBackend) {
    let sizes: Vec<String> = g.sizes_mib.iter().map(|s| s.to_string()).collect();
    println!(
        "generic/340: holetest -f{} at {} MiB, {} {} each · {}",
        if g.fork { " -F" } else { "" },
        sizes.join(", "),
        g.threads,
        if g.fork { "processes" } else { "threads" },
        g.kernel.describe()
    );
    println!(
        "pmem {} · perturb {} · seed {} · recording {}\n",
        pmem.describe(),
        g.perturb,
        g.seed,
        args.record.as_ref().map_or("off".to_string(), |d| format!("on (traces to {})", d.display()))
    );
}

fn count(t: &mut Tally, it: &Iteration, dir: Option<&Path>, kernel: Kernel) {
    t.iterations += 1;
    if !it.passed {
        t.failures += 1;
        t.first_failure.get_or_insert(it.index);
    }
    for race in &it.races {
        t.faults += race.faults;
        t.steps += u64::from(race.steps);
        t.racing += race.elapsed;
        let (checked, lost) = race.markers();
        t.checked += checked;
        t.lost += lost;
        let entry = t.classes.entry(race.label()).or_insert((race.failed(), 0));
        entry.1 += 1;
        if let (Some(dir), Some(trace)) = (dir, &race.trace) {
            match trace {
                Ok(trace) => {
                    let name = format!(
                        "generic340-{}-iter{}-{}M-{}.daxtrace",
                        kernel.slug(),
                        it.index,
                        race.size >> 20,
                        race.file.name()
                    );
                    let path = dir.join(name);
                    match trace.save(&path) {
                        Ok(()) => t.traces.push(format!("{} ({})", path.display(), describe(trace))),
                        Err(e) => t.unsaved.push(e.to_string()),
                    }
                }
                Err(m) => t.mismatches.push(format!("iteration {} {}: {m}", it.index, race_name(race))),
            }
        }
    }
}

/// The outcome class and, for a fired invariant, the step it fired at.
fn describe(trace: &Trace) -> String {
    match trace.events.iter().find(|e| matches!(e.kind, EventKind::Bug { .. })) {
        Some(e) => format!("{} at step {}", trace.outcome.class(), e.step),
        None => format!("{}, {} steps", trace.outcome.class(), trace.steps),
    }
}

fn race_name(race: &Race) -> String {
    format!("{} MiB {}", race.size >> 20, race.file.name())
}

fn print_summary(t: &Tally, elapsed: Duration) {
    let secs = elapsed.as_secs_f64();
    println!("iterations run   {}", t.iterations);
    match t.first_failure {
        Some(first) => println!("failures         {} (first at iteration {first})", t.failures),
        None => println!("failures         0"),
    }
    println!(
        "time             {secs:.2} s, {:.3} s per iteration (the kernel took 4 to 9 s per generic/340 run)",
        secs / f64::from(t.iterations.max(1))
    );
    println!(
        "faults           {} in {:.2} s of racing: {:.0} faults/s ({:.2} M steps/s)",
        t.faults,
        t.racing.as_secs_f64(),
        t.faults_per_sec(),
        t.steps as f64 / t.racing.as_secs_f64().max(1e-9) / 1e6
    );
    println!("markers          {} read back through the mapping, {} lost or wrong", t.checked, t.lost);
    println!("outcome classes  (per race)");
    for (label, (failed, n)) in &t.classes {
        println!("  {} {label:<64} {n:>6}", if *failed { "✗" } else { " " });
    }
    for trace in &t.traces {
        println!("trace            {trace}");
    }
    for u in &t.unsaved {
        println!("trace NOT saved  {u}");
    }
    for m in &t.mismatches {
        println!("DAXLAB BUG       {m}");
    }
}

fn print_failed(it: &Iteration, expected: &str) {
    println!("\nfirst failing iteration ({}):", it.index);
    for race in it.races.iter().filter(|r| r.failed()) {
        println!("  {}: {} after {} steps", race_name(race), race.outcome, race.steps);
        if let Some(v) = &race.verification {
            for p in v.problems.iter().take(3) {
                println!("    {p}");
            }
        }
    }
    if it.output != expected {
        println!("  its output differs from 340.out:");
        let shown: Vec<&str> = it.output.lines().filter(|l| !l.starts_with("ERROR")).collect();
        let errors = it.output.lines().filter(|l| l.starts_with("ERROR")).count();
        for line in shown {
            println!("    | {line}");
        }
        if errors > 0 {
            println!("    ({errors} ERROR lines not shown)");
        }
    }
}

/// Faults per second of racing in one iteration.
fn iteration_faults_per_sec(it: &Iteration) -> f64 {
    let faults: u64 = it.races.iter().map(|r| r.faults).sum();
    let secs: f64 = it.races.iter().map(|r| r.elapsed.as_secs_f64()).sum();
    faults as f64 / secs.max(1e-9)
}
