//! `daxlab explore`.

use super::kernel_args::{KernelArgs, SEED_KERNELS};
use super::machine_args::MachineArgs;
use super::warn_args::WarnArgs;
use super::{InjectArg, ReductionArg, StrategyArg, output, witness};
use daxlab::Scenario;
use daxlab::explore::{ExploreConfig, ExploreReport, MAX_RANDOM_RUNS, Strategy, all_cores, explore};
use daxlab::scenario::MAX_PREEMPTIONS;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct ExploreArgs {
    /// A built-in scenario name (see `daxlab scenarios`) or a path to a .toml file.
    scenario: String,
    /// The kernel (default: the seed race's two, v4.11-rc5 and v4.11).
    #[command(flatten)]
    kernel: KernelArgs,
    /// Preemption bound for exhaustive search (at most 16): switches away from a thread that
    /// could have gone on (with a CPU per thread: times another CPU runs ahead).
    #[arg(long, default_value_t = 2, value_parser = preemption_bound)]
    preemptions: u32,
    #[arg(long, value_enum, default_value = "exhaustive")]
    strategy: StrategyArg,
    /// Exhaustive search: skip schedules that only reorder commuting steps (dpor), or run
    /// every schedule within the bound (none, the reference).
    #[arg(long, value_enum, default_value = "none")]
    reduction: ReductionArg,
    /// Exhaustive search: count the distinct Mazurkiewicz traces among the executions.
    #[arg(long)]
    count_traces: bool,
    /// Exhaustive search: worker threads (default: one per core). The results do not
    /// depend on it.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Executions for the random and pct strategies (1 to 1,000,000,000).
    #[arg(long, default_value_t = 10_000, value_parser = random_runs)]
    runs: u64,
    /// PCT's depth: the number of ordering constraints a bug needs that one run can hit
    /// (depth - 1 priority change points).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    depth: u32,
    /// Seed for the random and pct strategies.
    #[arg(long, default_value_t = 0xdac5)]
    seed: u64,
    /// Stop after this many executions per kernel.
    #[arg(long)]
    max_executions: Option<u64>,
    /// Print the outcome tables as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Write the minimal witness of each failure class as a trace file into this directory.
    #[arg(long)]
    witness_out: Option<PathBuf>,
    /// Write witnesses in the JSON form instead of the binary one.
    #[arg(long)]
    json_trace: bool,
    /// Let the scheduler inject a kernel failure wherever it can happen (enomem: every
    /// radix_tree_preload() may fail), as the scenario's `inject_enomem = true` does.
    #[arg(long, value_enum)]
    inject: Vec<InjectArg>,
    #[command(flatten)]
    machine: MachineArgs,
    #[command(flatten)]
    warn: WarnArgs,
}

/// `--preemptions`: 0 to [`MAX_PREEMPTIONS`].
pub fn preemption_bound(s: &str) -> Result<u32, String> {
    let n: u32 =
        s.parse().map_err(|_| format!("`{s}` is not a preemption bound (a number from 0 to {MAX_PREEMPTIONS})"))?;
    if n > MAX_PREEMPTIONS {
        return Err(format!("{n} is more than the largest preemption bound, {MAX_PREEMPTIONS}"));
    }
    Ok(n)
}

fn random_runs(s: &str) -> Result<u64, String> {
    let n: u64 = s.parse().map_err(|_| format!("`{s}` is not a number of runs"))?;
    if !(1..=MAX_RANDOM_RUNS).contains(&n) {
        return Err(format!("give 1 to {MAX_RANDOM_RUNS} runs"));
    }
    Ok(n)
}

fn progress_bar(label: String) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {pos} executions ({per_sec})").expect("valid template"),
    );
    bar.set_message(label);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub fn run(args: ExploreArgs) -> Result<ExitCode, String> {
    let sc = Scenario::load(&args.scenario).map_err(|e| e.to_string())?;
    // The [expect] is for the machine the scenario describes.
    let same_machine = !args.machine.changes(&sc);
    let mut sc = args.machine.apply(sc)?;
    sc = args.warn.apply(sc)?;
    if sc.cpu_count() < sc.threads().count() && matches!(args.reduction, ReductionArg::Dpor) {
        // The reduction's footprints do not say who holds a CPU.
        return Err("--reduction dpor does not model CPUs: with fewer CPUs than threads use --reduction none".into());
    }
    // The scenario's [expect] describes the scenario as written, not with injections added.
    let as_written = !args.inject.contains(&InjectArg::Enomem) || sc.inject_enomem;
    if args.inject.contains(&InjectArg::Enomem) {
        sc.inject_enomem = true;
    }
    let kernels = args.kernel.kernels(&SEED_KERNELS)?;
    let strategy = match args.strategy {
        StrategyArg::Exhaustive => Strategy::Exhaustive { preemptions: args.preemptions },
        StrategyArg::Random => Strategy::Random { runs: args.runs, seed: args.seed },
        StrategyArg::Pct => Strategy::Pct { runs: args.runs, seed: args.seed, depth: args.depth },
    };
    let mut reports: Vec<ExploreReport> = Vec::new();
    for &kernel in &kernels {
        let cfg = ExploreConfig {
            kernel,
            strategy: strategy.clone(),
            max_executions: args.max_executions,
            cancel: None,
            reduction: args.reduction.into(),
            count_traces: args.count_traces,
            jobs: args.jobs.map_or_else(all_cores, usize::from),
        };
        let bar = progress_bar(format!("{} ({kernel})", sc.name));
        let report = explore(&sc, &cfg, &mut |n| bar.set_position(n));
        bar.finish_and_clear();
        reports.push(report);
    }

    if args.json {
        let json = serde_json::to_string_pretty(&reports).map_err(|e| e.to_string())?;
        println!("{json}");
    } else {
        println!("{} — {}", sc.name, sc.description);
        println!("{}", sc.machine_text());
        if let Some(notice) = sc.on_warn.notice() {
            println!("{notice}");
        }
        for r in &reports {
            let how = match r.bound {
                Some(b) => format!("exhaustive, preemption bound {b}, reduction {}", r.reduction.name()),
                None => format!("{}, {} runs, seed {:#x}", r.strategy, r.executions, args.seed),
            };
            println!("\n{} · {how}\n", r.kernel.describe());
            output::print_report(r);
            for row in r.failures() {
                witness::print_witness(&sc, r, row)?;
            }
        }
        if as_written && same_machine {
            print_expectation(&sc, &reports, args.preemptions, &strategy);
        }
    }

    if let Some(dir) = &args.witness_out {
        let written = witness::write_witnesses(dir, &sc, &reports, args.json_trace)?;
        if !args.json {
            for path in &written {
                println!("\nwitness written: {}  (daxlab replay / explain / diff it)", path.display());
            }
        }
    }

    let failed = reports.iter().any(|r| r.failures().next().is_some());
    if !args.json {
        let total: u64 = reports.iter().map(|r| r.executions).sum();
        if failed {
            println!("\nresult: failure found (exit 1)");
        } else {
            println!("\nresult: no failure in {total} executions (exit 0)");
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// If the scenario states what exhaustive search must find, say whether it did.
fn print_expectation(sc: &Scenario, reports: &[ExploreReport], bound: u32, strategy: &Strategy) {
    let Some(expect) = sc.expect.as_ref() else { return };
    if !matches!(strategy, Strategy::Exhaustive { .. }) || bound != expect.preemptions {
        return;
    }
    for r in reports {
        let Some(want) = expect.for_kernel(r.kernel) else {
            println!("\nthe scenario's [expect] says nothing about {}", r.kernel);
            continue;
        };
        let got = r.failure_classes();
        let verdict = if got == *want { "as expected" } else { "DIFFERS from the scenario's [expect]" };
        let show = |s: &std::collections::BTreeSet<String>| {
            if s.is_empty() { "no failure".to_string() } else { s.iter().cloned().collect::<Vec<_>>().join(", ") }
        };
        println!("\nexpected for {}: {} — found: {} ({verdict})", r.kernel.label(), show(want), show(&got));
    }
}
