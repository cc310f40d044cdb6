//! `daxlab lab`: run scenarios on a real Linux kernel under QEMU, on emulated persistent
//! memory with a DAX filesystem, and bring back the kernel's fs_dax trace.

use daxlab::Scenario;
use daxlab::lab::report::{DataCheck, ProcessEnd};
use daxlab::lab::{FsKind, LabConfig, LabReport, Phase, PmemKind, guest};
use daxlab::scenario::{Holetest, HoletestFile};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Subcommand)]
pub enum LabCommand {
    /// Run a scenario on the real kernel: real threads, real loads and stores, real DAX.
    Run(RunArgs),
    /// Run xfstests generic/340 (holetest at each size, three file kinds) on the real kernel.
    Stress(StressArgs),
    /// The workload inside the guest (the lab's /init runs it; it also runs on any Linux).
    #[command(hide = true)]
    Guest(GuestArgs),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FsArg {
    Ext4,
    Xfs,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PmemArg {
    /// memmap=512M!1G: RAM the kernel treats as pmem.
    Legacy,
    /// An emulated NVDIMM, made an fsdax namespace with ndctl.
    Nvdimm,
}

#[derive(clap::Args)]
pub struct BootArgs {
    #[arg(long, value_enum, default_value = "ext4")]
    fs: FsArg,
    #[arg(long, value_enum, default_value = "legacy")]
    pmem: PmemArg,
    /// Map shared mappings MAP_SHARED_VALIDATE | MAP_SYNC.
    #[arg(long)]
    map_sync: bool,
    /// How many times to run the workload in the one boot.
    #[arg(long, default_value_t = 1)]
    iterations: u32,
    /// Where the console, the captures and the imported traces go.
    #[arg(short, long, default_value = "lab-out")]
    out: PathBuf,
    /// Where the kernel package is kept (default: $XDG_CACHE_HOME/daxlab/lab or ~/.cache/daxlab/lab).
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Boot this kernel .deb instead of the distribution's current linux-image-amd64.
    #[arg(long)]
    kernel_deb: Option<PathBuf>,
    /// Give up on the guest after this many seconds.
    #[arg(long, default_value_t = 180)]
    timeout: u64,
    /// Do not ask for kprobes on the entry-lock and wait functions.
    #[arg(long)]
    no_kprobes: bool,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// A built-in name or a scenario .toml file.
    scenario: String,
    #[command(flatten)]
    boot: BootArgs,
}

#[derive(clap::Args)]
pub struct StressArgs {
    /// holetest file sizes in MiB (generic/340: 1,16,256).
    #[arg(long, value_delimiter = ',', default_value = "1,16,256")]
    sizes: Vec<u64>,
    /// Worker threads per holetest.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// holetest -F: processes with their own page tables.
    #[arg(long)]
    fork: bool,
    /// Afterwards, also run the model (`daxlab stress holetest --variant V --sizes 1`) in
    /// the guest, its pmem a file on the DAX mount mapped MAP_SYNC.
    #[arg(long, value_enum)]
    model: Option<ModelArg>,
    #[command(flatten)]
    boot: BootArgs,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelArg {
    Unfixed,
    Fixed,
}

#[derive(clap::Args)]
pub struct GuestArgs {
    /// Scenario files, run in turn in every iteration.
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    #[arg(long)]
    dir: PathBuf,
    #[arg(long)]
    capture: PathBuf,
    #[arg(long)]
    tracefs: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    iterations: u32,
    #[arg(long)]
    map_sync: bool,
    /// Seconds one iteration's processes may run.
    #[arg(long, default_value_t = 60)]
    deadline: u64,
}

pub fn run(cmd: LabCommand) -> Result<ExitCode, String> {
    match cmd {
        LabCommand::Run(a) => {
            let sc = Scenario::load(&a.scenario).map_err(|e| e.to_string())?;
            boot(vec![sc], &a.boot, None)
        }
        LabCommand::Stress(a) => {
            let mut scenarios = Vec::new();
            for &size in &a.sizes {
                if size == 0 || size > 448 {
                    return Err(format!("--sizes: {size} MiB does not fit the guest's 512 MiB of pmem (1 to 448)"));
                }
                for file in HoletestFile::ALL {
                    let h = Holetest { size: size << 20, file, threads: a.threads, fork: a.fork };
                    scenarios.push(h.scenario().map_err(|e| e.to_string())?);
                }
            }
            let model = a.model.map(|m| {
                let v = if m == ModelArg::Fixed { "fixed" } else { "unfixed" };
                format!("--variant {v} --sizes 1 --iterations 1")
            });
            boot(scenarios, &a.boot, model)
        }
        LabCommand::Guest(a) => run_guest(a),
    }
}

fn cache_dir(given: &Option<PathBuf>) -> PathBuf {
    if let Some(c) = given {
        return c.clone();
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("daxlab/lab")
}

fn boot(scenarios: Vec<Scenario>, b: &BootArgs, model_stress: Option<String>) -> Result<ExitCode, String> {
    if b.iterations == 0 {
        return Err("--iterations must be at least 1".into());
    }
    let cfg = LabConfig {
        scenarios,
        fs: if b.fs == FsArg::Ext4 { FsKind::Ext4 } else { FsKind::Xfs },
        pmem: if b.pmem == PmemArg::Legacy { PmemKind::Legacy } else { PmemKind::Nvdimm },
        map_sync: b.map_sync,
        iterations: b.iterations,
        out: b.out.clone(),
        cache: cache_dir(&b.cache),
        kernel_deb: b.kernel_deb.clone(),
        timeout: Duration::from_secs(b.timeout.max(5)),
        kprobes: !b.no_kprobes,
        model_stress,
    };
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed}] {msg}").expect("a valid template"));
    bar.enable_steady_tick(Duration::from_millis(120));
    let report = daxlab::lab::run(&cfg, &mut |phase| match phase {
        Phase::Kernel => bar.set_message("fetching the kernel package"),
        Phase::Initramfs => bar.set_message("building the initramfs"),
        Phase::Boot => bar.set_message("booting"),
        Phase::Console(line) => {
            if let Some(p) = line.strip_prefix("daxlab-lab: phase ") {
                bar.set_message(format!("guest: {p}"));
            }
        }
    });
    bar.finish_and_clear();
    let report = report.map_err(|e| e.to_string())?;
    print_report(&cfg, &report);
    Ok(if report.outcome.is_failure() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn print_report(cfg: &LabConfig, r: &LabReport) {
    println!(
        "kernel {} ({}), {} on {} pmem{}, {} accel, boot + runs {:.1} s",
        r.kernel.release,
        r.kernel.package,
        cfg.fs.name(),
        cfg.pmem.name(),
        if cfg.map_sync { ", MAP_SYNC" } else { "" },
        r.accel.name(),
        r.boot_seconds
    );
    for note in &r.console.notes {
        println!("  guest: {note}");
    }
    for ((c, path), kt) in r.captures.iter().zip(&r.capture_paths).zip(&r.kernel_traces) {
        let events = c.trace.lines().filter(|l| !l.starts_with('#')).count();
        let Some(res) = &c.result else {
            println!("  run {}: no result (cut off); {events} trace lines in {}", c.iteration, path.display());
            continue;
        };
        let ends: Vec<String> = res
            .processes
            .iter()
            .map(|p| match &p.end {
                ProcessEnd::Exited { code } => format!("{} exit {code}", p.name),
                ProcessEnd::Signaled { signal } => format!("{} killed by {signal}", p.name),
                ProcessEnd::Hung => format!("{} hung", p.name),
            })
            .collect();
        let data = match &res.data {
            DataCheck::Checked { values, lost } => {
                format!("{} of {values} values read back", values - lost.len() as u64)
            }
            DataCheck::Skipped { reason } => format!("data not checked: {reason}"),
        };
        println!(
            "  run {} {}: {} in {:.1} ms; {data}; {events} trace lines{} -> {}{}",
            c.iteration,
            res.scenario,
            ends.join(", "),
            res.elapsed_us as f64 / 1000.0,
            if res.trace_overflow { " (the buffer overflowed)" } else { "" },
            path.display(),
            kt.as_ref().map(|k| format!(", {}", k.display())).unwrap_or_default()
        );
        for e in &res.syscall_errors {
            println!("    {} op {}: {} -> {}", e.thread, e.op, e.call, e.errno);
        }
    }
    if !r.console.model_stress.is_empty() {
        println!("  the model in the guest (daxlab stress on the DAX mount):");
        for l in &r.console.model_stress {
            println!("    {l}");
        }
    }
    for p in &r.console.problems {
        println!("  kernel (console line {}): {}", p.line, p.text);
    }
    println!("outcome: {}  (console: {})", r.outcome.class(), r.console_path.display());
}

fn run_guest(a: GuestArgs) -> Result<ExitCode, String> {
    let mut scenarios = Vec::new();
    for p in &a.scenarios {
        scenarios.push(Scenario::from_file(p).map_err(|e| e.to_string())?);
    }
    let cfg = guest::GuestConfig {
        scenarios,
        dir: a.dir,
        map_sync: a.map_sync,
        iterations: a.iterations,
        capture: a.capture,
        tracefs: a.tracefs,
        deadline: Duration::from_secs(a.deadline),
    };
    let results = guest::run(&cfg).map_err(|e| e.to_string())?;
    let failed = results.iter().any(|r| {
        r.processes.iter().any(|p| p.end != ProcessEnd::Exited { code: 0 })
            || matches!(&r.data, DataCheck::Checked { lost, .. } if !lost.is_empty())
    });
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
